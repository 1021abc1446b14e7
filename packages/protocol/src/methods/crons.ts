/** crons: declared by the crons capability. */
export {};
