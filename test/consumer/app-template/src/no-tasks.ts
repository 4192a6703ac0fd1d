// A module passed to --tasks by mistake: it exports no task.
export const greeting = 'hello';
