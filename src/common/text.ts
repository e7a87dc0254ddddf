/** Echoing user input in an error: bounded, so a 1 MiB query does not come back whole. */
export function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
