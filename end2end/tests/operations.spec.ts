import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import { ANN, BOB, CARA, RUN, signIn, startChat, log, openChat, menu, menuItems, send, acceptedChat } from './support';

// Issue 3: staff operations on an ongoing chat, with a visitor and up to three staff in
// separate browser contexts. Staff are seeded by end2end/serve-fresh.sh:
// Ann Lee (Sales, admin), Bob Stone (Sales), Cara Diaz (Support).

test.describe.configure({ mode: 'serial' });

test('Join invisibly reveals nothing, the monitor cannot send, then Join notifies everyone', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { visitorName, ann, visitor } = await acceptedChat(browser, opened, 'monitor');
    const bob = await signIn(browser, BOB, opened);
    await openChat(bob, visitorName);
    expect(await menuItems(bob)).toEqual(['Join', 'Join invisibly', 'Take chat']);
    await menu(bob, 'Join invisibly');

    // Bob reads live but cannot write; the box says why.
    await expect(log(bob)).toContainText(`${ANN.name} has joined the chat`);
    await expect(bob.getByRole('textbox', { name: 'Message' })).toBeDisabled();
    await expect(bob.getByText(/monitoring invisibly/)).toBeVisible();
    await expect(bob.getByText('you (invisibly)')).toBeVisible();
    expect(await menuItems(bob)).toEqual(['Join', 'Take chat', 'Leave chat']);

    await visitor.getByRole('textbox', { name: 'Message' }).fill('is anyone else reading this?');
    await visitor.getByRole('textbox', { name: 'Message' }).press('Enter');
    await expect(log(bob)).toContainText('is anyone else reading this?');
    await send(ann, 'only me, promise');
    await expect(log(bob)).toContainText('only me, promise');

    // Nobody else learns of Bob: not the visitor, not Ann (transcript, header, typing).
    await expect(log(visitor)).toContainText('only me, promise');
    await expect(visitor.locator('body')).not.toContainText(BOB.name);
    await expect(ann.getByRole('main')).not.toContainText(BOB.name);

    // Join makes it visible to everyone; now Bob can write.
    await menu(bob, 'Join');
    for (const page of [visitor, ann, bob]) {
      await expect(log(page)).toContainText(`${BOB.name} has joined the chat`);
    }
    await send(bob, 'Hello, Bob here too.');
    await expect(log(visitor)).toContainText('Hello, Bob here too.');
    await expect(log(visitor).locator('.msg').filter({ hasText: 'Hello, Bob here too.' })).toContainText(BOB.name);
  } finally {
    for (const c of opened) await c.close();
  }
});

test('Take chat moves ownership; the previous owner stays and can still write', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { visitorName, ann, visitor } = await acceptedChat(browser, opened, 'take');
    const bob = await signIn(browser, BOB, opened);
    await openChat(bob, visitorName);
    await menu(bob, 'Take chat');
    for (const page of [visitor, ann, bob]) {
      await expect(log(page)).toContainText(`${BOB.name} has taken the chat`);
    }
    await expect(ann.getByText(`${BOB.name} (owner)`)).toBeVisible();
    await send(ann, 'I am still here as well.');
    await expect(log(visitor)).toContainText('I am still here as well.');
    await expect(visitor.getByText(`You are chatting with ${ANN.name}, ${BOB.name}`).or(visitor.getByText(`You are chatting with ${BOB.name}, ${ANN.name}`))).toBeVisible();
  } finally {
    for (const c of opened) await c.close();
  }
});

test('Forward chat: declined, then accepted', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { visitorName, ann, visitor } = await acceptedChat(browser, opened, 'forward');
    const bob = await signIn(browser, BOB, opened);

    // Offer, declined: Ann is told, nothing else changes.
    await menu(ann, 'Forward chat');
    const dialog = ann.getByRole('dialog', { name: 'Forward chat' });
    await dialog.getByRole('radio', { name: BOB.name }).check();
    await dialog.getByRole('textbox', { name: 'Note' }).fill('Wants a refund');
    await dialog.getByRole('button', { name: 'Forward' }).click();
    const requests = bob.getByRole('region', { name: 'Requests' });
    await expect(requests).toContainText(`${ANN.name} wants to forward you the chat with ${visitorName}`);
    await expect(requests).toContainText('Wants a refund');
    await requests.getByRole('button', { name: 'Decline' }).click();
    await expect(log(ann)).toContainText(`${BOB.name} declined the forwarded chat`);
    await expect(log(visitor)).not.toContainText('declined');
    await expect(requests).toHaveCount(0);

    // Offer again, accepted: Bob owns it, Ann has left, everyone sees the notice.
    await menu(ann, 'Forward chat');
    await dialog.getByRole('radio', { name: BOB.name }).check();
    await dialog.getByRole('button', { name: 'Forward' }).click();
    await requests.getByRole('button', { name: 'Accept' }).click();
    await expect(bob).toHaveURL(/chat=\d+/);
    for (const page of [visitor, ann, bob]) {
      await expect(log(page)).toContainText(`Chat forwarded to ${BOB.name}`);
    }
    await expect(bob.getByText(`${BOB.name} (owner)`)).toBeVisible();
    await expect(ann.getByRole('textbox', { name: 'Message' })).toBeDisabled();
    await send(bob, 'I will take care of the refund.');
    await expect(log(visitor).locator('.msg').filter({ hasText: 'I will take care of the refund.' })).toContainText(BOB.name);
  } finally {
    for (const c of opened) await c.close();
  }
});

test('Invite operator: accepted, then a three-way conversation; Leave chat with others remaining', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { visitorName, ann, visitor } = await acceptedChat(browser, opened, 'invite');
    const cara = await signIn(browser, CARA, opened);

    await menu(ann, 'Invite operator');
    const dialog = ann.getByRole('dialog', { name: 'Invite operator' });
    await dialog.getByRole('radio', { name: CARA.name }).check();
    await dialog.getByRole('button', { name: 'Invite' }).click();
    const requests = cara.getByRole('region', { name: 'Requests' });
    await expect(requests).toContainText(`${ANN.name} invites you to the chat with ${visitorName}`);
    await requests.getByRole('button', { name: 'Accept' }).click();
    for (const page of [visitor, ann, cara]) {
      await expect(log(page)).toContainText(`${CARA.name} has joined the chat`);
    }

    await visitor.getByRole('textbox', { name: 'Message' }).fill('Three of us now?');
    await visitor.getByRole('textbox', { name: 'Message' }).press('Enter');
    await send(ann, 'Yes: Cara knows the warehouse.');
    await send(cara, 'Hi! Checking the warehouse now.');
    for (const page of [visitor, ann, cara]) {
      for (const text of ['Three of us now?', 'Yes: Cara knows the warehouse.', 'Hi! Checking the warehouse now.']) {
        await expect(log(page)).toContainText(text);
      }
    }

    // Ann leaves; Cara, the longest-present participant, becomes the owner.
    await menu(ann, 'Leave chat');
    for (const page of [visitor, cara]) {
      await expect(log(page)).toContainText(`${ANN.name} has left the chat`);
    }
    await expect(cara.getByText(`${CARA.name} (owner)`)).toBeVisible();
    await send(cara, 'Still with you.');
    await expect(log(visitor)).toContainText('Still with you.');
  } finally {
    for (const c of opened) await c.close();
  }
});

test('typing shows on the other side', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { visitorName, ann, visitor } = await acceptedChat(browser, opened, 'typing');
    await visitor.getByRole('textbox', { name: 'Message' }).pressSequentially('typing slowly');
    await expect(ann.getByText(`${visitorName} is typing…`)).toBeVisible();
    await ann.getByRole('textbox', { name: 'Message' }).pressSequentially('me too');
    await expect(visitor.getByText(`${ANN.name} is typing…`)).toBeVisible();
  } finally {
    for (const c of opened) await c.close();
  }
});

test('a waiting visitor sees their place in the queue, and the chat is offered when staff become available', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const cara = await signIn(browser, CARA, opened);
    await cara.getByRole('combobox', { name: 'Status' }).selectOption('away');
    const first = await startChat(browser, opened, `Quinn ${RUN}`, 'First in line', 'Support');
    const second = await startChat(browser, opened, `Quentin ${RUN}`, 'Second in line', 'Support');
    await expect(first.getByText('You are next in the queue')).toBeVisible();
    await expect(second.getByText('You are number 2 in the queue')).toBeVisible();
    // Waiting chats for Support are visible to Support staff only (and admins).
    await expect(cara.getByRole('navigation', { name: 'Chats' })).toContainText(`Quinn ${RUN}`);

    await cara.getByRole('combobox', { name: 'Status' }).selectOption('online');
    const link = cara.getByRole('navigation', { name: 'Chats' }).getByRole('link', { name: new RegExp(`Quinn ${RUN}`) });
    await expect(link).toContainText('Offered to you');
    await link.click();
    await cara.getByRole('button', { name: 'Accept chat' }).click();
    await expect(log(first)).toContainText(`${CARA.name} has joined the chat`);
    await expect(second.getByText('You are next in the queue')).toBeVisible();
  } finally {
    for (const c of opened) await c.close();
  }
});

test('workflow rules route a chat to a department and to a named staff member', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  // Words only this run's chats contain, so the rules touch no other test's chats.
  const refundWord = `refund${RUN}`;
  const vipWord = `vip${RUN}`;
  try {
    const ann = await signIn(browser, ANN, opened);
    await ann.goto('/console/automation');
    await expect(ann.getByRole('heading', { name: 'Live chat workflow rules' })).toBeVisible();

    const addRule = async (name: string, words: string, then: string, target: string, value: string) => {
      await ann.getByRole('button', { name: 'New rule' }).click();
      await ann.getByRole('textbox', { name: 'Rule name' }).fill(name);
      await ann.getByRole('combobox', { name: 'Condition 1', exact: true }).selectOption({ label: 'Question contains' });
      await ann.getByRole('textbox', { name: 'Words 1' }).fill(words);
      await ann.getByRole('combobox', { name: 'Then' }).selectOption({ label: then });
      await ann.getByRole('combobox', { name: target }).selectOption({ label: value });
      await ann.getByRole('button', { name: 'Save rule' }).click();
      await expect(ann.getByRole('main')).toContainText(name);
    };
    await addRule(`Refunds to Support ${RUN}`, refundWord, 'Route to department', 'Target department', 'Support');
    await addRule(`VIP to Bob ${RUN}`, vipWord, 'Route to staff member', 'Target staff member', BOB.name);

    const bob = await signIn(browser, BOB, opened);
    const cara = await signIn(browser, CARA, opened);
    const chats = (page: Page) => page.getByRole('navigation', { name: 'Chats' });

    // Asked in Sales, but about a refund: the rule sends it to Support (Cara), not to Bob.
    await startChat(browser, opened, `Rhea ${RUN}`, `I want a ${refundWord} please`, 'Sales');
    const rhea = chats(cara).getByRole('link', { name: new RegExp(`Rhea ${RUN}`) });
    await expect(rhea).toContainText('Offered to you');
    await expect(chats(bob)).not.toContainText(`Rhea ${RUN}`);

    // A VIP asking Support goes to Bob by name; Cara, who shares no team with him, sees nothing.
    await startChat(browser, opened, `Victor ${RUN}`, `${vipWord} customer here`, 'Support');
    const victor = chats(bob).getByRole('link', { name: new RegExp(`Victor ${RUN}`) });
    await expect(victor).toContainText('Offered to you');
    await expect(chats(cara)).not.toContainText(`Victor ${RUN}`);
    await victor.click();
    await bob.getByRole('button', { name: 'Accept chat' }).click();
    await expect(log(bob)).toContainText(`${BOB.name} has joined the chat`);
  } finally {
    for (const c of opened) await c.close();
  }
});
