/** Small DOM helpers shared by the panels: element lookup, element building, status line, error guard. */
import { hooks } from './state.js';

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`viewer: element #${id} missing from index.html`);
  return e as T;
};

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  for (const k of kids) e.append(k);
  return e;
}

export function setStatus(msg: string, isError = false): void {
  const e = $('status');
  e.textContent = msg;
  e.className = isError ? 'error' : '';
  if (isError) hooks.lastError = msg;
}

/** Runs `fn`, showing its error (one line, prefixed by `what`) in the status line instead of throwing. */
export async function guard(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    setStatus(`${what}: ${(e as Error).message}`, true);
  }
}

/** Offers `text` as a file download named `name`. */
export function download(name: string, href: string): void {
  const a = el('a', { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

/** Whether a key event comes from a text field (shortcuts must not steal typing). */
export function typingIn(ev: KeyboardEvent): boolean {
  const t = ev.target as HTMLElement | null;
  if (!t) return false;
  if (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable) return true;
  return t.tagName === 'INPUT' && !['checkbox', 'radio', 'range', 'button'].includes((t as HTMLInputElement).type);
}
