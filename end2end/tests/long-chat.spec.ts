import { test, expect, type BrowserContext } from '@playwright/test';
import { ANN, signIn, log, openChat, send, acceptedChat } from './support';

// A long conversation opens on its newest 25 events; earlier ones come 50 at a time from what
// the tab holds (the server's newest 100), then the server's next 100, in the console and in the
// widget alike.

test('a long chat opens on its newest messages, and earlier ones are a click away', async ({ browser }) => {
  test.setTimeout(120_000);
  const opened: BrowserContext[] = [];
  try {
    const { visitorName, visitor } = await acceptedChat(browser, opened, 'long');
    const box = visitor.getByRole('textbox', { name: 'Message' });
    // The join notice and 120 messages: more than one page.
    for (let i = 1; i <= 120; i++) {
      await box.fill(`Line ${i} of the story`);
      await box.press('Enter');
    }
    await expect(log(visitor)).toContainText('Line 120 of the story');

    // Ann, the owner, in a second console tab that holds nothing of the chat yet.
    const tab = await signIn(browser, ANN, opened);
    await openChat(tab, visitorName);
    const tabLog = log(tab);
    await expect(tabLog).toContainText('Line 120 of the story');
    // Opened at its newest message, in view.
    await expect(tabLog.getByText('Line 120 of the story', { exact: true })).toBeInViewport();
    await expect(tabLog).toContainText('Line 96 of the story');
    await expect(tabLog).not.toContainText('Line 95 of the story');
    await expect(tabLog).not.toContainText(`${ANN.name} has joined the chat`);

    // New messages add to what is shown; nothing shown drops out.
    await send(visitor, 'Line 121 of the story');
    await expect(tabLog).toContainText('Line 121 of the story');
    await expect(tabLog.getByText('Line 121 of the story', { exact: true })).toBeInViewport();
    await expect(tabLog).toContainText('Line 96 of the story');

    // The first two clicks show the rest of what the tab holds, the third asks the server.
    const earlier = tabLog.getByRole('button', { name: 'Show earlier messages' });
    await earlier.click();
    await expect(tabLog).toContainText('Line 46 of the story');
    await expect(tabLog).not.toContainText('Line 45 of the story');
    await earlier.click();
    await expect(tabLog).toContainText('Line 21 of the story');
    await expect(tabLog).not.toContainText('Line 20 of the story');
    await earlier.click();
    await expect(tabLog).toContainText('Line 1 of the story');
    await expect(tabLog).toContainText(`${ANN.name} has joined the chat`);
    await expect(tabLog.getByRole('button', { name: 'Show earlier messages' })).toHaveCount(0);

    // The visitor's widget, reloaded, pages the same way.
    await visitor.reload();
    await expect(log(visitor)).toContainText('Line 121 of the story');
    await expect(log(visitor).getByText('Line 121 of the story', { exact: true })).toBeInViewport();
    await expect(log(visitor)).toContainText('Line 97 of the story');
    await expect(log(visitor)).not.toContainText('Line 96 of the story');
    for (const line of ['Line 47 of the story', 'Line 22 of the story', 'Line 1 of the story']) {
      await log(visitor).getByRole('button', { name: 'Show earlier messages' }).click();
      await expect(log(visitor)).toContainText(line);
    }
  } finally {
    for (const c of opened) await c.close();
  }
});
