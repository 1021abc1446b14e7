/** workers: declared by the workers capability. */
export {};
