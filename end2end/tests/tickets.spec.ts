import { test, expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';

// Chats become tickets: End chat and the last staff member's Leave chat open dialogs that
// create a ticket; the ticket list and page show it with the transcript; with nobody available
// the widget offers "Leave a message". Staff are seeded by end2end/serve-fresh.sh:
// Ann Lee (Sales, admin), Bob Stone (Sales), Cara Diaz (Support); nobody works in Billing.
// The test server has no SMTP configured, so transcripts are "written to disk".

const PASSWORD = 'secret-pass';
const ANN = { name: 'Ann Lee', email: 'ann@example.com' };
const RUN = Date.now().toString(36);
// The ticket pages load their data after the page's code: allow for a slow (debug) bundle.
const LOADED = { timeout: 20_000 };

async function signIn(browser: Browser, email: string, opened: BrowserContext[]): Promise<Page> {
  const context = await browser.newContext();
  opened.push(context);
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/console/);
  await expect(page.getByRole('combobox', { name: 'Status' })).toHaveValue('online');
  return page;
}

async function openWidget(browser: Browser, opened: BrowserContext[]): Promise<Page> {
  const context = await browser.newContext();
  opened.push(context);
  const page = await context.newPage();
  await page.goto('/widget');
  return page;
}

async function fillPreChat(page: Page, name: string, email: string, department: string, question: string) {
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('combobox', { name: 'Department' }).selectOption(department);
  await page.getByRole('textbox', { name: 'Question' }).fill(question);
}

const log = (page: Page): Locator => page.getByRole('log', { name: 'Conversation' });

async function send(page: Page, text: string) {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(log(page)).toContainText(text);
}

/** A visitor in Sales, accepted by Ann, with a few messages each way. */
async function chatWithAnn(browser: Browser, opened: BrowserContext[], tag: string) {
  const visitorName = `Vic ${tag} ${RUN}`;
  const visitorEmail = `vic.${tag.toLowerCase()}.${RUN}@example.com`;
  const question = `Where is my order ${tag} ${RUN}?`;
  const ann = await signIn(browser, ANN.email, opened);
  const visitor = await openWidget(browser, opened);
  await fillPreChat(visitor, visitorName, visitorEmail, 'Sales', question);
  // The widget may have asked before Ann's console was connected; it asks again shortly.
  const start = visitor.getByRole('button', { name: 'Start chat' });
  await expect(start).toBeVisible({ timeout: 20_000 });
  await start.click();
  await expect(visitor.getByText('Waiting for staff')).toBeVisible();
  await ann.getByRole('navigation', { name: 'Chats' }).getByRole('link', { name: new RegExp(visitorName) }).click();
  await ann.getByRole('button', { name: 'Accept chat' }).click();
  await expect(log(visitor)).toContainText(`${ANN.name} has joined the chat`);
  const lines = [`It was due on Monday ${tag}.`, `Sorry, I am checking order ${tag} now.`];
  await send(visitor, lines[0]);
  await expect(log(ann)).toContainText(lines[0]);
  await send(ann, lines[1]);
  await expect(log(visitor)).toContainText(lines[1]);
  return { ann, visitor, visitorName, visitorEmail, question, lines };
}

async function menu(staff: Page, item: string) {
  await staff.getByRole('button', { name: 'More' }).click();
  await staff.getByRole('menu', { name: 'Chat actions' }).getByRole('menuitem', { name: item, exact: true }).click();
}

/** The ticket number the visitor is told, once the chat has ended. */
async function visitorTicket(visitor: Page): Promise<string> {
  const status = visitor.getByText(/^Chat ended\. Your request continues as ticket #\d+\.$/);
  await expect(status).toBeVisible();
  const text = (await status.textContent()) ?? '';
  return text.match(/#(\d+)/)![1];
}


test('with no staff available, a visitor leaves a message and gets a ticket number', async ({ browser }) => {
  // Staff signed in by earlier tests stay present for a grace period after their console
  // closes; the widget asks again every 15 s, so it flips to "Leave a message" on its own.
  test.setTimeout(120_000);
  const opened: BrowserContext[] = [];
  try {
    const visitor = await openWidget(browser, opened);
    const message = `Please send my March invoice again ${RUN}.`;
    await fillPreChat(visitor, `Mia Message ${RUN}`, `mia.${RUN}@example.com`, 'Billing', message);
    await expect(visitor.getByRole('heading', { name: 'Leave a message' })).toBeVisible({ timeout: 60_000 });
    await expect(visitor.getByText(/nobody is available to chat right now/)).toBeVisible();
    await expect(visitor.getByRole('button', { name: 'Start chat' })).toHaveCount(0);
    await visitor.getByRole('button', { name: 'Leave a message' }).click();
    const thanks = visitor.getByText(/^Thanks! Your ticket number is #\d+\.$/);
    await expect(thanks).toBeVisible();
    const number = ((await thanks.textContent()) ?? '').match(/#(\d+)/)![1];
    // No chat was started.
    await expect(visitor.getByRole('textbox', { name: 'Message' })).toHaveCount(0);

    // Staff find it in the ticket list, and open it.
    const ann = await signIn(browser, ANN.email, opened);
    await ann.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Tickets' }).click();
    await expect(ann).toHaveURL(/\/console\/tickets$/);
    const row = ann.getByRole('table', { name: 'Tickets' }).getByRole('row', { name: new RegExp(`#${number}`) });
    await expect(row).toContainText(message, LOADED);
    await expect(row).toContainText(`Mia Message ${RUN}`);
    await expect(row).toContainText('Open');
    await row.getByRole('link', { name: `#${number}` }).click();
    await expect(ann.getByRole('heading', { level: 1 })).toContainText(`#${number} ${message}`, LOADED);
    await expect(ann.getByText(`Message left by Mia Message ${RUN} while nobody was available`)).toBeVisible();
  } finally {
    for (const c of opened) await c.close();
  }
});

test('staff ends a chat with subject, status, assignee and email; the ticket shows the transcript', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { ann, visitor, visitorName, visitorEmail, question, lines } = await chatWithAnn(browser, opened, 'End');

    await menu(ann, 'End chat');
    const dialog = ann.getByRole('dialog', { name: 'End chat' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('textbox', { name: 'Subject' })).toHaveValue(question);
    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(visitor.getByRole('textbox', { name: 'Message' })).toBeEnabled();

    await menu(ann, 'End chat');
    const subject = `Late order End ${RUN}`;
    await dialog.getByRole('textbox', { name: 'Subject' }).fill(subject);
    await dialog.getByRole('combobox', { name: 'Status' }).selectOption('Pending');
    await dialog.getByRole('combobox', { name: 'Assign to' }).selectOption('Bob Stone');
    await dialog.getByRole('checkbox', { name: 'Send email copy to client' }).check();
    await dialog.getByRole('button', { name: 'End chat' }).click();
    await expect(dialog).toHaveCount(0);

    // The visitor: "Chat ended", the ticket number, the conversation still there, a new chat possible.
    const number = await visitorTicket(visitor);
    await expect(log(visitor)).toContainText('Chat ended');
    for (const line of lines) await expect(log(visitor)).toContainText(line);
    await expect(visitor.getByRole('textbox', { name: 'Message' })).toBeDisabled();

    // Staff: the chat links its ticket.
    await expect(ann.getByRole('link', { name: `Ticket #${number}` })).toBeVisible();
    await expect(log(ann)).toContainText('Chat ended');

    // The list shows it, with filters and search.
    await ann.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Tickets' }).click();
    const table = ann.getByRole('table', { name: 'Tickets' });
    const row = table.getByRole('row', { name: new RegExp(`#${number}`) });
    await expect(row).toBeVisible(LOADED);
    for (const text of [subject, visitorName, 'Pending', 'Bob Stone']) await expect(row).toContainText(text);
    const filters = ann.getByRole('search', { name: 'Filter tickets' });
    await filters.getByRole('combobox', { name: 'Filter by status' }).selectOption('Closed');
    await expect(row).toHaveCount(0);
    await filters.getByRole('combobox', { name: 'Filter by status' }).selectOption('Pending');
    await expect(row).toBeVisible();
    await filters.getByRole('combobox', { name: 'Filter by assignee' }).selectOption('Nobody');
    await expect(row).toHaveCount(0);
    await filters.getByRole('combobox', { name: 'Filter by assignee' }).selectOption('Bob Stone');
    await expect(row).toBeVisible();
    await filters.getByRole('searchbox', { name: 'Search tickets' }).fill('no such ticket anywhere');
    await filters.getByRole('searchbox', { name: 'Search tickets' }).press('Enter');
    await expect(ann.getByText('No tickets match.')).toBeVisible();
    await filters.getByRole('searchbox', { name: 'Search tickets' }).fill(visitorName);
    await filters.getByRole('searchbox', { name: 'Search tickets' }).press('Enter');
    await expect(row).toBeVisible();
    await expect(table.getByRole('row')).toHaveCount(2); // the header and this ticket

    // The ticket page: the whole transcript, the email, the history; change the status.
    await row.getByRole('link', { name: subject }).click();
    await expect(ann).toHaveURL(new RegExp(`/console/tickets/${number}$`));
    await expect(ann.getByRole('heading', { level: 1 })).toContainText(`#${number} ${subject}`, LOADED);
    const transcript = log(ann);
    for (const text of [question, `${ANN.name} has joined the chat`, ...lines, 'Chat ended']) {
      await expect(transcript).toContainText(text);
    }
    await expect(transcript.locator('.msg').filter({ hasText: lines[1] })).toContainText(ANN.name);
    await expect(transcript.locator('.msg').filter({ hasText: lines[1] })).toContainText(/\d{1,2}:\d{2}/);
    await expect(ann.getByText(new RegExp(`Transcript to ${visitorEmail.replace(/\./g, '\\.')}: (queued|written to disk|sent)`))).toBeVisible();
    await expect(ann.getByText(new RegExp(`Transcript to ${visitorEmail.replace(/\./g, '\\.')}: written to disk`))).toBeVisible({ timeout: 10_000 });
    await expect(ann.getByRole('combobox', { name: 'Ticket status' })).toHaveValue('pending');
    await ann.getByRole('combobox', { name: 'Ticket status' }).selectOption('Resolved');
    await expect(ann.getByText('Status changed to Resolved.')).toBeVisible();
    const history = ann.getByRole('region', { name: 'History' });
    await expect(history).toContainText(`Created from the chat with ${visitorName} (End chat)`);
    await expect(history).toContainText('Assigned to Bob Stone');
    await expect(history).toContainText('Status changed from Pending to Resolved');
    await ann.getByRole('button', { name: 'Resend transcript' }).click();
    await expect(ann.getByText(`Transcript email queued to ${visitorEmail}.`)).toBeVisible();

    // The visitor starts a new chat.
    await visitor.getByRole('button', { name: 'Start a new chat' }).click();
    await expect(visitor.getByRole('button', { name: 'Start chat' })).toBeVisible();
  } finally {
    for (const c of opened) await c.close();
  }
});

test('the last staff member leaves: a ticket with the pre-chat question as subject', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { ann, visitor, visitorName, question } = await chatWithAnn(browser, opened, 'Leave');

    await menu(ann, 'Leave chat');
    const dialog = ann.getByRole('dialog', { name: 'Leave chat' });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('a ticket is created');
    await expect(dialog).toContainText(question);
    await dialog.getByRole('combobox', { name: 'Assign to' }).selectOption('Cara Diaz');
    await dialog.getByRole('checkbox', { name: 'Send email' }).check();
    await dialog.getByRole('button', { name: 'Leave chat' }).click();
    await expect(dialog).toHaveCount(0);

    const number = await visitorTicket(visitor);
    await expect(log(visitor)).toContainText(`${ANN.name} has left the chat`);
    await expect(log(visitor)).toContainText('Chat ended');

    await ann.goto(`/console/tickets/${number}`);
    await expect(ann.getByRole('heading', { level: 1 })).toContainText(`#${number} ${question}`, LOADED);
    await expect(ann.getByRole('combobox', { name: 'Ticket status' })).toHaveValue('open');
    await expect(ann.getByRole('combobox', { name: 'Assignee' })).toHaveValue(/\d+/);
    await expect(ann.getByRole('combobox', { name: 'Assignee' }).locator('option:checked')).toHaveText('Cara Diaz');
    await expect(ann.getByText(/Transcript to .*: (queued|written to disk|sent)/)).toBeVisible();
    await expect(log(ann)).toContainText(`${ANN.name} has left the chat`);
    const history = ann.getByRole('region', { name: 'History' });
    await expect(history).toContainText(`Created from the chat with ${visitorName} (Leave chat: the last staff member left)`);

    await ann.goto('/console/tickets');
    const row = ann.getByRole('table', { name: 'Tickets' }).getByRole('row', { name: new RegExp(`#${number}`) });
    await expect(row).toBeVisible(LOADED);
    for (const text of [question, visitorName, 'Open', 'Cara Diaz']) await expect(row).toContainText(text);
  } finally {
    for (const c of opened) await c.close();
  }
});
