// The event icons, drawn as inline SVG: they look the same on every machine, with or without an
// emoji font (a stock Debian Chromium has none). Strokes use currentColor, so the row's colour applies.

const SVG = 'http://www.w3.org/2000/svg';

/** One 16×16 path per icon, stroked (fill none unless the entry says so). */
const PATHS = {
  plus: { d: 'M8 3v10M3 8h10' },
  play: { d: 'M5 3l8 5-8 5z', fill: true },
  arrow: { d: 'M3 8h9M9 4.5L12.5 8 9 11.5' },
  dot: { d: 'M8 6.5a1.5 1.5 0 1 1 0 3a1.5 1.5 0 1 1 0-3z', fill: true },
  diamond: { d: 'M8 2.5L13.5 8 8 13.5 2.5 8z', fill: true },
  check: { d: 'M3 8.5l3.2 3.2L13 4.8' },
  cross: { d: 'M4 4l8 8M12 4l-8 8' },
  pause: { d: 'M5.5 3.5v9M10.5 3.5v9' },
  approved: { d: 'M8 1.8a6.2 6.2 0 1 1 0 12.4A6.2 6.2 0 1 1 8 1.8zM5 8.3l2.1 2.1L11.2 6' },
  rejected: { d: 'M8 1.8a6.2 6.2 0 1 1 0 12.4A6.2 6.2 0 1 1 8 1.8zM5.8 5.8l4.4 4.4M10.2 5.8l-4.4 4.4' },
  clock: { d: 'M8 2.3a5.7 5.7 0 1 1 0 11.4A5.7 5.7 0 1 1 8 2.3zM8 4.8V8l2.3 1.6' },
  pencil: { d: 'M3 13l1-3.5 6.5-6.5 2.5 2.5L6.5 12zM9.5 4l2.5 2.5' },
  resume: { d: 'M12.5 8A4.5 4.5 0 1 1 11 4.6M11.5 2v3h-3' },
  star: { d: 'M8 2l1.8 3.9 4.2.4-3.2 2.8 1 4.1L8 11l-3.8 2.2 1-4.1L2 6.3l4.2-.4z', fill: true },
  square: { d: 'M4 4h8v8H4z', fill: true },
};

const BY_TYPE = {
  job_created: 'plus',
  job_started: 'play',
  stage_started: 'arrow',
  stage_log: 'dot',
  artifact_created: 'diamond',
  stage_completed: 'check',
  stage_failed: 'cross',
  gate_pause: 'pause',
  gate_approved: 'approved',
  gate_rejected: 'rejected',
  gate_auto_approved: 'clock',
  patch_applied: 'pencil',
  patch_applied_direct: 'pencil',
  job_resumed: 'resume',
  job_completed: 'star',
  job_failed: 'cross',
  job_canceled: 'square',
  job_deleted: 'cross',
};

/** The icon of an event type, as an <svg> element (a dot for a type it does not know). */
export function eventIcon(type) {
  const name = BY_TYPE[type] ?? 'dot';
  const { d, fill } = PATHS[name];
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '14');
  svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.dataset.icon = name;
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', fill ? 'currentColor' : 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', fill ? '1' : '1.6');
  path.setAttribute('stroke-linecap', 'round');
  path.setAttribute('stroke-linejoin', 'round');
  svg.append(path);
  return svg;
}
