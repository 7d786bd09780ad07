// Modal dialog: labelled by its title, Esc closes, Tab stays inside, focus returns afterwards.
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import { useText } from '../i18n/use-text.js';
import { Icon } from './Icon.js';

const focusableSelector =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), summary';

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(focusableSelector)].filter((el) => el.offsetParent !== null || el === document.activeElement);
}

export interface DialogProps {
  title: ReactNode;
  onClose(): void;
  children: ReactNode;
  /** Extra class on the dialog box ('wide', 'live'...). */
  className?: string;
  /** Element to focus first; defaults to the first field or button after the title bar. */
  initialFocus?: RefObject<HTMLElement | null>;
  testId?: string;
}

export function Dialog({ title, onClose, children, className, initialFocus, testId }: DialogProps) {
  const t = useText();
  const titleId = useId();
  const boxRef = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const box = boxRef.current;
    if (box) {
      const wanted = initialFocus?.current ?? focusables(box).find((el) => !el.classList.contains('dialog-close')) ?? box;
      wanted.focus();
    }
    return () => {
      // Give focus back to what opened the dialog, if it is still on the page.
      if (previous && previous.isConnected) previous.focus();
    };
    // Runs once: focus moves in when the dialog opens, not on every render.
  }, []);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key === 'Escape') {
      event.stopPropagation();
      event.preventDefault();
      onCloseRef.current();
      return;
    }
    if (event.key !== 'Tab' || !boxRef.current) return;
    const items = focusables(boxRef.current);
    if (items.length === 0) {
      event.preventDefault();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || active === boxRef.current)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }

  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) onClose();
      }}
    >
      <div
        ref={boxRef}
        className={`dialog ${className ?? ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
        data-testid={testId}
      >
        <header className="dialog-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button dialog-close" aria-label={t('ui.dialog.close')} title={t('ui.dialog.close')} onClick={onClose}>
            <Icon name="close" />
          </button>
        </header>
        <div className="dialog-body">{children}</div>
      </div>
    </div>
  );
}
