/** semaphores: declared by the semaphores capability. */
export {};
