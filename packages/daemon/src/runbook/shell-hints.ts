/** The hints shown when a placeholder stands where its value cannot be used safely. */

export const VARIABLE_HINT = 'assign it to a variable first, e.g. NAME={name}; then use "$NAME" there';

export const ARITHMETIC_HINT =
  'pass the value in a variable and check it is a number before any arithmetic, e.g. N={name}; [[ $N =~ ^-?[0-9]+$ ]] || exit 1; (( N > 1 ))';

export const NAME_HINT =
  'pass the value in a variable and check it before using it as a name or key, e.g. K={name}; [[ $K =~ ^[A-Za-z0-9_]+$ ]] || exit 1';

export const DECLARE_HINT = 'assign it to a plain variable instead, e.g. NAME={name}; export NAME';

export const EVAL_HINT = 'pass the value as an argument instead, e.g. sh -c \'echo "$1"\' _ {name}';
