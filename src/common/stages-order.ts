import { STAGES, Stage } from './stages';

export function stageIndex(stage: Stage): number {
  return STAGES.indexOf(stage);
}

/** The stage after this one, or null after the last (acceptance). */
export function nextStage(stage: Stage): Stage | null {
  return STAGES[stageIndex(stage) + 1] ?? null;
}
