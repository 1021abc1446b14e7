/** What oj types into an agent's session when a chain nudges it. */
export const DEFAULT_NUDGE =
  'You seem to have stopped. If your work is finished, run `oj done`; if you are blocked, run `oj done --error "<why>"`.';

export const IDLE_NUDGE =
  'Your turn ended, but oj was not told that the work is finished. If it is, run `oj done`; if you are blocked, run `oj done --error "<why>"`; otherwise carry on.';

export const RESUME_NUDGE =
  'The rate limit that stopped you has reset. Carry on with your task; when it is finished, run `oj done` (if you are blocked, `oj done --error "<why>"`).';
