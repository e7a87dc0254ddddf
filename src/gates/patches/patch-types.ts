// TEMPORARY STUB (lead)
export const PATCH_TYPES: unknown[] = [];
