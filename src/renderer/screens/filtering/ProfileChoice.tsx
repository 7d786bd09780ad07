// A radio list of web filtering profiles (with what each is for); used to pick a lab's baseline
// and a lesson's profile. Arrow keys move within the group, as for any radio group.
import { useId, type RefObject } from 'react';
import type { ProfileRow } from '../../../shared/api/contract.js';
import { useText } from '../../i18n/use-text.js';
import { useLanguage } from '../../state/language.js';
import { profileDescription, profileLabel } from './filter-text.js';

export interface ProfileOption {
  row: ProfileRow;
  /** Shown but not choosable, with why. */
  disabledReason?: string;
}

export interface ProfileChoiceProps {
  legend: string;
  options: ProfileOption[];
  /** The chosen profile id, or null for the "no profile of its own" option. */
  value: string | null;
  onChange(value: string | null): void;
  /** First option meaning "no lesson profile: the lab baseline alone", with its label. */
  baselineOption?: { label: string; hint: string };
  /** Set to the ticked radio, so a dialog can put focus where a keyboard user expects it. */
  checkedRef?: RefObject<HTMLInputElement | null>;
}

export function ProfileChoice({ legend, options, value, onChange, baselineOption, checkedRef }: ProfileChoiceProps) {
  const t = useText();
  const language = useLanguage((s) => s.language);
  const name = useId();
  return (
    <fieldset className="profile-choice">
      <legend>{legend}</legend>
      {baselineOption && (
        <label className="choice">
          <input type="radio" name={name} checked={value === null} ref={value === null ? checkedRef : undefined} onChange={() => onChange(null)} />
          <span className="choice-text">
            <span className="choice-title">{baselineOption.label}</span>
            <span className="choice-hint">{baselineOption.hint}</span>
          </span>
        </label>
      )}
      {options.map(({ row, disabledReason }) => {
        const description = profileDescription(language, row.profile);
        return (
          <label key={row.profile.id} className={`choice ${disabledReason ? 'disabled' : ''}`}>
            <input
              type="radio"
              name={name}
              value={row.profile.id}
              checked={value === row.profile.id}
              ref={value === row.profile.id ? checkedRef : undefined}
              disabled={!!disabledReason}
              onChange={() => onChange(row.profile.id)}
            />
            <span className="choice-text">
              <span className="choice-title">
                {profileLabel(language, row.profile)}
                {row.profile.mode === 'allowlist-only' && <span className="tag">{t('ui.filter.mode.allowlistOnly')}</span>}
              </span>
              {description && <span className="choice-hint">{description}</span>}
              {disabledReason && <span className="choice-hint">{disabledReason}</span>}
            </span>
          </label>
        );
      })}
    </fieldset>
  );
}
