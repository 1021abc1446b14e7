/** queues: declared by the queues capability. */
export {};
