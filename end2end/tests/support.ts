// Helpers shared by the specs that drive a visitor and staff in separate browser contexts.
// Staff are seeded by end2end/serve-fresh.sh: Ann Lee (Sales, admin), Bob Stone (Sales),
// Cara Diaz (Support).

import { expect, type Browser, type BrowserContext, type FrameLocator, type Locator, type Page } from '@playwright/test';

export const PASSWORD = 'secret-pass';
export const ANN = { name: 'Ann Lee', email: 'ann@example.com' };
export const BOB = { name: 'Bob Stone', email: 'bob@example.com' };
export const CARA = { name: 'Cara Diaz', email: 'cara@example.com' };
export const RUN = Date.now().toString(36);

export type Staff = typeof ANN;

/** Signs in, on the test server or, with `baseURL`, on that node. */
export async function signIn(browser: Browser, staff: Staff, opened: BrowserContext[], baseURL?: string): Promise<Page> {
  const context = await browser.newContext(baseURL ? { baseURL } : {});
  opened.push(context);
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByRole('textbox', { name: 'Email' }).fill(staff.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/console/);
  // Online, and connected, before anything is routed.
  await expect(page.getByRole('combobox', { name: 'Status' })).toHaveValue('online');
  return page;
}

export async function startChat(
  browser: Browser,
  opened: BrowserContext[],
  visitor: string,
  question: string,
  department: string,
  baseURL?: string,
): Promise<Page> {
  const context = await browser.newContext(baseURL ? { baseURL } : {});
  opened.push(context);
  const page = await context.newPage();
  await page.goto('/widget');
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(visitor);
  await page.getByRole('textbox', { name: 'Email' }).fill('visitor@example.com');
  await page.getByRole('combobox', { name: 'Department' }).selectOption(department);
  await page.getByRole('textbox', { name: 'Question' }).fill(question);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await expect(page.getByText('Waiting for staff')).toBeVisible();
  return page;
}

export const log = (scope: Page | FrameLocator): Locator => scope.getByRole('log', { name: 'Conversation' });

/** Opens the chat with this visitor from the console's list. */
export async function openChat(staff: Page, visitor: string): Promise<void> {
  await staff.getByRole('navigation', { name: 'Chats' }).getByRole('link', { name: new RegExp(visitor) }).click();
  await expect(staff.getByRole('heading', { name: visitor })).toBeVisible();
}

export async function menu(staff: Page, item: string): Promise<void> {
  await staff.getByRole('button', { name: 'More' }).click();
  await staff.getByRole('menu', { name: 'Chat actions' }).getByRole('menuitem', { name: item, exact: true }).click();
}

export async function menuItems(staff: Page): Promise<string[]> {
  await staff.getByRole('button', { name: 'More' }).click();
  const items = await staff.getByRole('menu', { name: 'Chat actions' }).getByRole('menuitem').allInnerTexts();
  await staff.keyboard.press('Escape');
  return items;
}

export async function send(scope: Page, text: string): Promise<void> {
  await scope.getByRole('textbox', { name: 'Message' }).fill(text);
  await scope.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(log(scope)).toContainText(text);
}

/** A visitor waiting in Sales, accepted by Ann. */
export async function acceptedChat(browser: Browser, opened: BrowserContext[], tag: string) {
  const visitorName = `Vic ${tag} ${RUN}`;
  const ann = await signIn(browser, ANN, opened);
  const visitor = await startChat(browser, opened, visitorName, `Question ${tag} ${RUN}`, 'Sales');
  await openChat(ann, visitorName);
  await ann.getByRole('button', { name: 'Accept chat' }).click();
  await expect(log(visitor)).toContainText(`${ANN.name} has joined the chat`);
  return { visitorName, ann, visitor };
}
