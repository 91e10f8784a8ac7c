import { test, expect, type BrowserContext } from '@playwright/test';
import { RUN, acceptedChat, log } from './support';

// Issue 5: solution articles. Staff write one in the console, find it from the chat box by the
// start of a word, put the article and then its link into the chat; the visitor sees both and
// the link opens the public page.

test('An article written in the console goes into a chat, then its public link', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { ann, visitor } = await acceptedChat(browser, opened, 'articles');
    const title = `Reset your password ${RUN}`;

    // Write and publish it, in another tab of Ann's.
    const editor = await ann.context().newPage();
    await editor.goto('/console/tickets');
    await editor.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Articles' }).click();
    await expect(editor.getByRole('heading', { name: 'Solution articles' })).toBeVisible();
    await editor.getByRole('link', { name: 'New article' }).click();
    await editor.getByRole('textbox', { name: 'Title' }).fill(title);
    await editor.getByRole('textbox', { name: 'Keywords' }).fill('login credentials');
    await editor
      .getByRole('textbox', { name: 'Text (Markdown)' })
      .fill('Open **Settings**, then *Security*.\n\n- Choose `Reset`\n- Check your mail\n\n<script>alert(1)</script>');
    await editor.getByRole('checkbox', { name: 'Published' }).check();
    await editor.getByRole('button', { name: 'Save' }).click();
    await expect(editor.getByText('Saved.')).toBeVisible();
    const publicLink = editor.getByRole('link', { name: /^\/kb\// });
    await expect(publicLink).toBeVisible();
    const path = (await publicLink.textContent())!.trim();
    await editor.close();

    // In the chat: results come as the word is typed, the match marked.
    const box = ann.getByRole('textbox', { name: 'Message' });
    await ann.getByRole('button', { name: 'Solution articles' }).click();
    const dialog = ann.getByRole('dialog', { name: 'Solution articles' });
    await dialog.getByRole('searchbox', { name: 'Search articles' }).pressSequentially('passw');
    const hit = dialog.getByRole('listitem').filter({ hasText: title });
    await expect(hit).toBeVisible();
    await expect(hit.locator('mark').first()).toHaveText('password');
    await hit.getByRole('button', { name: 'Insert article' }).click();
    await expect(dialog).toBeHidden();
    await expect(box).toHaveValue(`${title}\n\nOpen Settings, then Security.\n\n• Choose Reset\n• Check your mail\n\n<script>alert(1)</script>`);
    await box.press('Enter');
    await expect(log(visitor)).toContainText('Open Settings, then Security.');
    await expect(log(visitor)).toContainText('• Check your mail');
    // Shown as text, never run.
    await expect(log(visitor)).toContainText('<script>alert(1)</script>');

    await ann.getByRole('button', { name: 'Solution articles' }).click();
    await dialog.getByRole('searchbox', { name: 'Search articles' }).fill('credentials res');
    await hit.getByRole('button', { name: 'Insert URL' }).click();
    const url = new URL(path, ann.url()).href;
    await expect(box).toHaveValue(url);
    await box.press('Enter');
    await expect(log(visitor)).toContainText(url);

    // The link opens the public page, for anyone.
    const page = await visitor.context().newPage();
    await page.goto(url);
    await expect(page.getByRole('heading', { name: title, level: 1 })).toBeVisible();
    await expect(page.getByRole('article').locator('strong')).toHaveText('Settings');
    await expect(page.getByRole('listitem')).toHaveText(['Choose Reset', 'Check your mail']);
    await expect(page.getByRole('article')).toContainText('<script>alert(1)</script>');
  } finally {
    for (const c of opened) await c.close();
  }
});
