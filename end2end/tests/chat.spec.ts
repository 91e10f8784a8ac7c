import { test, expect, type FrameLocator, type Locator, type Page } from '@playwright/test';

// Issue 2: a visitor opens the widget, fills the pre-chat form, staff accept the chat
// in the console, both sides exchange messages, and the history survives a reload.
// Staff are seeded by end2end/serve-fresh.sh.

const STAFF = { name: 'Ann Lee', email: 'ann@example.com', password: 'secret-pass' };

// Tests share one server: make this run's chat easy to tell apart from any other.
const RUN = Date.now().toString(36);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The widget iframe on the host page. */
function widgetFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe[title="Live chat"]');
}

/**
 * Makes sure the widget is open on the already loaded host page: clicks "Chat with us"
 * unless the widget is already showing (it may reopen by itself after a reload).
 */
async function ensureWidgetOpen(page: Page): Promise<FrameLocator> {
  const launcher = page.getByRole('button', { name: 'Chat with us' });
  const iframe = page.getByTitle('Live chat');
  await expect(launcher.or(iframe).first()).toBeVisible();
  if (!(await iframe.isVisible())) {
    await launcher.click();
  }
  await expect(iframe).toBeVisible();
  return widgetFrame(page);
}

async function openWidget(page: Page): Promise<FrameLocator> {
  await page.goto('/demo');
  return ensureWidgetOpen(page);
}

async function signIn(page: Page): Promise<void> {
  await page.goto('/login');
  await page.getByRole('textbox', { name: 'Email' }).fill(STAFF.email);
  await page.getByLabel('Password').fill(STAFF.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/console(?:[/?#]|$)/);
}

/** The conversation log, in the console page or in the widget frame. */
function conversation(scope: Page | FrameLocator): Locator {
  return scope.getByRole('log', { name: 'Conversation' });
}

/**
 * One message in a log: the innermost element holding both the author's name and the
 * body (elements come in document order, so the last match has no matching descendant).
 */
function messageIn(log: Locator, author: string, body: string): Locator {
  return log.locator('*').filter({ hasText: body }).filter({ hasText: author }).last();
}

/** The message is shown with its author's name and a time. */
async function expectMessage(log: Locator, author: string, body: string): Promise<void> {
  const message = messageIn(log, author, body);
  await expect(message).toBeVisible();
  await expect(message).toContainText(/\d{1,2}[:.]\d{2}/);
}

/** Every text appears in the log, in this order. */
async function expectInOrder(log: Locator, texts: string[]): Promise<void> {
  await expect(log).toContainText(new RegExp(texts.map(escapeRegExp).join('[\\s\\S]*')));
}

/** The text of the heading in the console's chat list that the chat link sits under. */
async function sectionOf(link: Locator): Promise<string> {
  return link.evaluate((el) => {
    const nav = el.closest('nav, [role="navigation"]') ?? document.body;
    let section = '';
    for (const heading of Array.from(nav.querySelectorAll('h1, h2, h3, h4, h5, h6, [role="heading"]'))) {
      if (heading.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) {
        section = (heading.textContent ?? '').trim();
      }
    }
    return section;
  });
}

test('visitor and staff chat live, and the history survives a reload', async ({ browser }) => {
  const visitorName = `Vera Visitor ${RUN}`;
  const question = `Where is my order ${RUN}?`;
  const visitorLine1 = `Hello, order ${RUN} has not arrived.`;
  const visitorLine2 = 'It was due on Monday.';
  const staffReply = `Sorry about that, I am checking order ${RUN} now.`;
  const joinNotice = `${STAFF.name} has joined the chat`;

  const visitorContext = await browser.newContext();
  const staffContext = await browser.newContext();
  try {
    const visitor = await visitorContext.newPage();
    const staff = await staffContext.newPage();

    // Staff signs in to the console.
    await signIn(staff);
    const chats = staff.getByRole('navigation', { name: 'Chats' });
    for (const name of ['Waiting', 'My chats', 'Other ongoing chats']) {
      await expect(chats.getByRole('heading', { name })).toBeVisible();
    }

    // The visitor opens the widget on the host page and starts a chat with Sales.
    let widget = await openWidget(visitor);
    await widget.getByRole('textbox', { name: 'Name', exact: true }).fill(visitorName);
    await widget.getByRole('textbox', { name: 'Email' }).fill('vera@example.com');
    await widget.getByRole('combobox', { name: 'Department' }).selectOption('Sales');
    await widget.getByRole('textbox', { name: 'Question' }).fill(question);
    await widget.getByRole('button', { name: 'Start chat' }).click();
    await expect(widget.getByText('Waiting for staff')).toBeVisible();
    await expect(widget.getByRole('textbox', { name: 'Message' })).toBeVisible();
    await expect(widget.getByRole('button', { name: 'Send', exact: true })).toBeVisible();
    await expect(conversation(widget)).toContainText(question);

    // It shows up, live, under "Waiting" in the console.
    const chatLink = chats.getByRole('link', {
      name: new RegExp(`^(?=[\\s\\S]*${escapeRegExp(visitorName)})(?=[\\s\\S]*${escapeRegExp(question)})`),
    });
    await expect(chatLink).toBeVisible();
    await expect.poll(() => sectionOf(chatLink)).toMatch(/^Waiting/);

    // Staff opens and accepts it: both logs get the join notice; the chat moves to "My chats".
    await chatLink.click();
    await expect(conversation(staff)).toContainText(question);
    await staff.getByRole('button', { name: 'Accept chat' }).click();
    await expect(conversation(staff)).toContainText(joinNotice);
    await expect(conversation(widget)).toContainText(joinNotice);
    await expect.poll(() => sectionOf(chatLink)).toMatch(/^My chats/);

    // The visitor writes two lines (Shift+Enter) and sends them with Enter.
    const visitorInput = widget.getByRole('textbox', { name: 'Message' });
    await visitorInput.fill(visitorLine1);
    await visitorInput.press('Shift+Enter');
    await visitorInput.pressSequentially(visitorLine2);
    await expect(visitorInput).toHaveValue(`${visitorLine1}\n${visitorLine2}`);
    await visitorInput.press('Enter');
    await expect(visitorInput).toHaveValue('');
    for (const log of [conversation(widget), conversation(staff)]) {
      await expectMessage(log, visitorName, visitorLine1);
      await expect(log).toContainText(visitorLine2);
    }

    // Staff replies with the Send button.
    await staff.getByRole('textbox', { name: 'Message' }).fill(staffReply);
    await staff.getByRole('button', { name: 'Send', exact: true }).click();
    for (const log of [conversation(staff), conversation(widget)]) {
      await expectMessage(log, STAFF.name, staffReply);
    }

    // Reload both pages: the whole history comes back, in order, on both sides.
    const history = [question, joinNotice, visitorLine1, staffReply];

    await visitor.reload();
    widget = await ensureWidgetOpen(visitor);
    await expectInOrder(conversation(widget), history);
    await expectMessage(conversation(widget), visitorName, visitorLine1);
    await expectMessage(conversation(widget), STAFF.name, staffReply);
    // Same chat resumed: no pre-chat form, the message box is back.
    await expect(widget.getByRole('textbox', { name: 'Message' })).toBeVisible();
    await expect(widget.getByRole('button', { name: 'Start chat' })).toHaveCount(0);

    await staff.reload();
    await expect(staff).toHaveURL(/\/console(?:[/?#]|$)/);
    await expect(chatLink).toBeVisible();
    await expect.poll(() => sectionOf(chatLink)).toMatch(/^My chats/);
    await chatLink.click();
    await expectInOrder(conversation(staff), history);
    await expectMessage(conversation(staff), visitorName, visitorLine1);
    await expectMessage(conversation(staff), STAFF.name, staffReply);
  } finally {
    await visitorContext.close();
    await staffContext.close();
  }
});

test('the pre-chat form rejects a bad email and starts nothing', async ({ browser, page }) => {
  // Someone from Support is online, so the widget offers a chat rather than "Leave a message".
  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  await staff.goto('/login');
  await staff.getByRole('textbox', { name: 'Email' }).fill('cara@example.com');
  await staff.getByLabel('Password').fill(STAFF.password);
  await staff.getByRole('button', { name: 'Sign in' }).click();
  await expect(staff.getByRole('navigation', { name: 'Chats' })).toBeVisible();
  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  const widget = await openWidget(page);
  // The form opens on its own small bundle; the conversation's comes once the visitor types.
  await expect(widget.getByRole('button', { name: 'Start chat' })).toBeVisible();
  expect(requested).toContain('/widget-pkg/prechat_bg.wasm');
  expect(requested).not.toContain('/widget-pkg/widget_bg.wasm');
  const chatBundle = page.waitForRequest((r) => r.url().endsWith('/widget-pkg/widget_bg.wasm'));
  await widget.getByRole('textbox', { name: 'Name', exact: true }).fill(`Ivan Invalid ${RUN}`);
  await chatBundle;
  await widget.getByRole('textbox', { name: 'Email' }).fill('not-an-email');
  await widget.getByRole('combobox', { name: 'Department' }).selectOption('Support');
  await widget.getByRole('textbox', { name: 'Question' }).fill('Can you help me?');
  await widget.getByRole('button', { name: 'Start chat' }).click();

  await expect(widget.getByText(/valid email/i)).toBeVisible();
  // The widget's own stylesheet (built from the site's) is in place: errors in the danger colour,
  // the submit button in the accent colour.
  await expect(widget.getByText(/valid email/i)).toHaveCSS('color', 'rgb(179, 38, 30)');
  await expect(widget.getByRole('button', { name: 'Start chat' })).toHaveCSS('background-color', 'rgb(36, 87, 214)');
  // Still on the pre-chat form; no chat was started.
  await expect(widget.getByRole('button', { name: 'Start chat' })).toBeVisible();
  await expect(widget.getByText('Waiting for staff')).toHaveCount(0);
  await expect(widget.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  await staffContext.close();
});

test('if the conversation cannot load, the widget says so, after Start chat and when coming back', async ({ page }) => {
  // The server's answers are stood in for, so no chat is created: someone is available, and
  // the chat starts; the conversation's WASM then fails to download.
  await page.route('**/api/availability', (r) => r.fulfill({ json: 'Available' }));
  await page.route('**/api/start_chat', (r) => r.fulfill({ json: { chat_id: 987654321, token: 'not-a-real-token' } }));
  await page.route('**/widget-pkg/widget_bg.wasm', (r) => r.abort());
  await page.goto('/widget');
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(`Nora Network ${RUN}`);
  await page.getByRole('textbox', { name: 'Email' }).fill('nora@example.com');
  await page.getByRole('textbox', { name: 'Question' }).fill('Is anyone there?');
  await page.getByRole('button', { name: 'Start chat' }).click();
  await expect(page.getByRole('alert')).toHaveText('Could not load the chat. Please reload the page.');
  await expect(page.getByRole('button', { name: 'Start chat' })).toBeDisabled();

  // Coming back: the browser remembers the chat and goes straight to it, and says so again.
  await page.reload();
  await expect(page.getByRole('status')).toHaveText('Could not load the chat. Please reload the page.');
  await expect(page.getByRole('button', { name: 'Start chat' })).toHaveCount(0);
});
