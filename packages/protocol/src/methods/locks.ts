/** locks: declared by the locks capability. */
export {};
