// Small pieces the views share: a confirmation dialog, an error line.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';

// A modal <dialog>: the browser keeps focus inside it, Escape cancels, and
// the first button is focused. `onClose(confirmed)`.
export function Confirm({ title, children, confirmLabel, danger, noCancel, onClose }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    dialog.showModal();
    const cancel = (e) => {
      e.preventDefault();
      onClose(false);
    };
    dialog.addEventListener('cancel', cancel);
    return () => dialog.removeEventListener('cancel', cancel);
  }, []);
  return html`<dialog ref=${ref} aria-labelledby="confirm-title">
    <article>
      <h3 id="confirm-title">${title}</h3>
      ${children}
      <footer>
        ${noCancel ? null : html`<button class="secondary" onClick=${() => onClose(false)}>Cancel</button>`}
        <button class=${danger ? 'danger' : ''} onClick=${() => onClose(true)}>
          ${confirmLabel}
        </button>
      </footer>
    </article>
  </dialog>`;
}

export function ErrorNote({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error}</p>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}
