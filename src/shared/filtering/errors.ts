// Errors of the filter-list blob as values with stable codes, so agent and console can say why a list was refused.

export type FilterListErrorCode = 'format' | 'version' | 'checksum' | 'truncated';

/** i18n key of the teacher-facing explanation for each code (catalogue: src/shared/i18n/filtering.ts). */
export const filterListErrorKeys: Readonly<Record<FilterListErrorCode, string>> = {
  format: 'filtering.blobFormat',
  version: 'filtering.blobVersion',
  checksum: 'filtering.blobChecksum',
  truncated: 'filtering.blobTruncated',
};

/** Thrown by `DomainMatcher.load` for any blob it will not trust; a half-loaded matcher never escapes. */
export class FilterListError extends Error {
  readonly code: FilterListErrorCode;
  /** Bilingual message key for the UI / agent status (`bilingual(messageKey)`). */
  readonly messageKey: string;
  constructor(code: FilterListErrorCode, detail: string) {
    super(detail);
    this.name = 'FilterListError';
    this.code = code;
    this.messageKey = filterListErrorKeys[code];
  }
}
