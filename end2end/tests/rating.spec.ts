import { test, expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';

// Issue 5: live chat settings, Ask for rating, and the Emojis picker, with a visitor and staff
// in separate browser contexts. Ann Lee (Sales, admin) is seeded by end2end/serve-fresh.sh.
// Every test puts the settings back as it found them (tests share one server).

const ANN = { name: 'Ann Lee', email: 'ann@example.com', password: 'secret-pass' };
const RUN = Date.now().toString(36);
const DEFAULTS = { staff_emojis: true, client_emojis: true, rating_style: 'Star' };

const log = (page: Page): Locator => page.getByRole('log', { name: 'Conversation' });
const emojisButton = (page: Page): Locator => page.getByRole('button', { name: 'Emojis', exact: true });

/** Ann, signed in, with her console connected; the visitor's chat accepted and open. */
async function ratedSetup(browser: Browser, opened: BrowserContext[], tag: string) {
  const staffContext = await browser.newContext();
  opened.push(staffContext);
  const ann = await staffContext.newPage();
  await ann.goto('/login');
  await ann.getByRole('textbox', { name: 'Email' }).fill(ANN.email);
  await ann.getByLabel('Password').fill(ANN.password);
  await ann.getByRole('button', { name: 'Sign in' }).click();
  await expect(ann.getByRole('combobox', { name: 'Status' })).toHaveValue('online');

  const visitorName = `Rae ${tag} ${RUN}`;
  const visitorContext = await browser.newContext();
  opened.push(visitorContext);
  const visitor = await visitorContext.newPage();
  await visitor.goto('/widget');
  await visitor.getByRole('textbox', { name: 'Name', exact: true }).fill(visitorName);
  await visitor.getByRole('textbox', { name: 'Email' }).fill('rae@example.com');
  await visitor.getByRole('combobox', { name: 'Department' }).selectOption('Sales');
  await visitor.getByRole('textbox', { name: 'Question' }).fill(`Question ${tag} ${RUN}`);
  await visitor.getByRole('button', { name: 'Start chat' }).click();

  await ann.getByRole('navigation', { name: 'Chats' }).getByRole('link', { name: new RegExp(visitorName) }).click();
  await ann.getByRole('button', { name: 'Accept chat' }).click();
  await expect(log(visitor)).toContainText(`${ANN.name} has joined the chat`);
  return { ann, visitor };
}

/** Changes the live chat settings the way an admin does, in a second tab of Ann's. */
async function changeSettings(ann: Page, change: (form: Locator) => Promise<void>) {
  const page = await ann.context().newPage();
  await page.goto('/console/settings');
  const form = page.getByRole('main');
  await expect(form.getByRole('heading', { name: 'Live chat settings' })).toBeVisible();
  await expect(form.getByRole('button', { name: 'Save settings' })).toBeVisible();
  await change(form);
  await form.getByRole('button', { name: 'Save settings' }).click();
  await expect(form.getByRole('status')).toHaveText('Settings saved.');
  await page.close();
}

async function askForRating(ann: Page) {
  await ann.getByRole('button', { name: 'More' }).click();
  await ann.getByRole('menu', { name: 'Chat actions' }).getByRole('menuitem', { name: 'Ask for rating' }).click();
}

async function restoreSettings(opened: BrowserContext[]) {
  const staff = opened[0];
  if (!staff) return;
  const res = await staff.request.post('/api/admin_save_live_chat_settings', { data: { settings: DEFAULTS } });
  expect(res.ok()).toBeTruthy();
}

test.describe.configure({ mode: 'serial' });

test('Ask for rating: stars, then smileys once an admin changes the style; staff see both answers', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { ann, visitor } = await ratedSetup(browser, opened, 'rating');

    await askForRating(ann);
    const prompt = visitor.getByRole('form', { name: 'How was this chat?' });
    await expect(prompt.getByRole('radio')).toHaveCount(5);
    // No score picked: the server says what is missing and nothing is sent.
    await prompt.getByRole('button', { name: 'Send rating' }).click();
    await expect(prompt).toContainText('Please choose from 1 to 5 stars.');
    await prompt.getByRole('radio', { name: '4 stars' }).check();
    await prompt.getByRole('textbox', { name: 'Comment' }).fill('Quick and kind');
    await prompt.getByRole('button', { name: 'Send rating' }).click();
    await expect(visitor.getByText('Thank you for your rating.')).toBeVisible();
    await expect(prompt).toHaveCount(0);
    await expect(log(ann)).toContainText('Rated 4 of 5 stars: “Quick and kind”');
    await expect(ann.getByRole('status').filter({ hasText: 'Your rating:' })).toBeVisible();

    await changeSettings(ann, async (form) => {
      await form.getByRole('radio', { name: 'Smiley' }).check();
    });

    await askForRating(ann);
    await expect(prompt.getByRole('radio', { name: 'Very unhappy' })).toBeVisible();
    await expect(prompt.getByRole('radio', { name: 'Neutral' })).toBeVisible();
    await prompt.getByRole('radio', { name: 'Very happy' }).check();
    await prompt.getByRole('button', { name: 'Send rating' }).click();
    await expect(prompt).toHaveCount(0);

    await expect(log(ann)).toContainText('Rated 5 of 5 on the smiley scale');
    await expect(log(ann)).toContainText('Rated 4 of 5 stars: “Quick and kind”');
    await expect(ann.getByRole('navigation', { name: 'Chats' })).toContainText('Rated 5 of 5');
  } finally {
    await restoreSettings(opened);
    for (const c of opened) await c.close();
  }
});

test('Emojis: off for the client portal removes the widget button live; a picked emoji goes in at the caret', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { ann, visitor } = await ratedSetup(browser, opened, 'emoji');
    await expect(emojisButton(visitor)).toBeVisible();
    await expect(emojisButton(ann)).toBeVisible();

    await changeSettings(ann, async (form) => {
      await form.getByRole('checkbox', { name: 'Emojis in the client portal' }).uncheck();
    });
    await expect(emojisButton(visitor)).toHaveCount(0);
    await expect(emojisButton(ann)).toBeVisible();
    // A fresh widget never shows it: the settings arrive before the conversation does.
    await visitor.reload();
    await expect(log(visitor)).toContainText(`${ANN.name} has joined the chat`);
    await expect(emojisButton(visitor)).toHaveCount(0);

    const message = ann.getByRole('textbox', { name: 'Message' });
    await message.fill('Hello world');
    await message.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(5, 5));
    await emojisButton(ann).click();
    const picker = ann.getByRole('dialog', { name: 'Emojis' });
    await expect(picker.getByRole('heading', { name: 'Smileys' })).toBeVisible();
    await expect(picker.getByRole('heading', { name: 'Gestures' })).toBeVisible();
    await picker.getByRole('searchbox', { name: 'Search emojis' }).fill('thumbs');
    await expect(picker.getByRole('heading', { name: 'Smileys' })).toHaveCount(0);
    await picker.getByRole('button', { name: 'thumbs up', exact: true }).click();
    await expect(picker).toHaveCount(0);
    await expect(message).toHaveValue('Hello👍 world');
    await ann.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(log(visitor)).toContainText('Hello👍 world');
  } finally {
    await restoreSettings(opened);
    for (const c of opened) await c.close();
  }
});
