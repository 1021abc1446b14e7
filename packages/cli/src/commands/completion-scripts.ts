/**
 * The shell scripts `oj completion <shell>` prints. Each one calls back into
 * `oj --get-yargs-completions <words so far>` for candidates (commands,
 * options, their values, and what only the daemon knows: runbook commands,
 * pipeline and session ids), telling oj which shell asks (OJ_COMPLETION_SHELL)
 * so the answer comes in that shell's form: bare words for bash,
 * `word:description` for zsh, `word<TAB>description` for fish.
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const BASH = `###-begin-oj-completions-###
# oj completion for bash. Install one of:
#   oj completion bash > ~/.local/share/bash-completion/completions/oj
#   echo 'source <(oj completion bash)' >> ~/.bashrc
_oj_yargs_completions()
{
    local cur_word type_list
    cur_word="\${COMP_WORDS[COMP_CWORD]}"
    # The words up to the one being completed (oj included).
    type_list=$(OJ_COMPLETION_SHELL=bash oj --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null)
    COMPREPLY=( $(compgen -W "\${type_list}" -- "\${cur_word}") )
    return 0
}
# Nothing from oj (a runbook command's own arguments): file names.
complete -o bashdefault -o default -F _oj_yargs_completions oj
###-end-oj-completions-###
`;

const ZSH = `#compdef oj
###-begin-oj-completions-###
# oj completion for zsh. Install one of:
#   oj completion zsh > "\${fpath[1]}/_oj"     (then start a new shell)
#   echo 'source <(oj completion zsh)' >> ~/.zshrc   (after compinit)
_oj() {
  local -a candidates
  local IFS=$'\\n'
  # The words up to the one being completed (oj included); each answer is "word:description".
  candidates=($(OJ_COMPLETION_SHELL=zsh oj --get-yargs-completions "\${(@)words[1,CURRENT]}" 2>/dev/null))
  if (( \${#candidates} )); then
    _describe 'oj' candidates
  else
    # Nothing from oj (a runbook command's own arguments): file names.
    _files
  fi
}
if [[ "\${funcstack[1]}" == _oj ]]; then
  _oj "$@"
else
  compdef _oj oj
fi
###-end-oj-completions-###
`;

const FISH = `###-begin-oj-completions-###
# oj completion for fish. Install:
#   oj completion fish > ~/.config/fish/completions/oj.fish
function __oj_complete
    # The words up to the cursor (oj included) and the one being completed; each answer is "word<TAB>description".
    set -l words (commandline -opc) (commandline -ct)
    env OJ_COMPLETION_SHELL=fish oj --get-yargs-completions $words 2>/dev/null
end
complete -c oj -f -a '(__oj_complete)'
###-end-oj-completions-###
`;

export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return BASH;
    case 'zsh':
      return ZSH;
    case 'fish':
      return FISH;
  }
}

/** The shell a completion request comes from (set by the scripts above); unset: yargs' own rules (an older script). */
export function askingShell(env: NodeJS.ProcessEnv = process.env): Shell | null {
  const s = env.OJ_COMPLETION_SHELL;
  return (SHELLS as readonly string[]).includes(s ?? '') ? (s as Shell) : null;
}

/**
 * yargs answers in its zsh form when asked for zsh or fish (see
 * completionEnv): `name:description`, a colon in a name written `\:`, and
 * option values as bare words. Fish takes `name<TAB>description`.
 */
export function fromYargs(candidate: string, shell: Shell | null): string {
  if (shell !== 'fish') return candidate;
  const m = /^((?:[^:\\]|\\.)*):(.*)$/.exec(candidate);
  if (!m) return candidate.replace(/\\:/g, ':');
  const name = m[1]!.replace(/\\:/g, ':');
  return m[2] ? `${name}\t${m[2]}` : name;
}

/** A bare word (an id from the daemon) as `shell` reads it: zsh's _describe needs its colons escaped. */
export function bareWord(word: string, shell: Shell | null): string {
  return shell === 'zsh' ? word.replace(/:/g, '\\:') : word;
}

/**
 * yargs decides between its bash and zsh forms from $SHELL (or $ZSH_NAME)
 * when it starts: for a request from one of our scripts, say the asking
 * shell's form instead of the login shell's. Only in completion mode.
 */
export function completionEnv(env: NodeJS.ProcessEnv = process.env): void {
  const shell = askingShell(env);
  if (!shell) return;
  env.SHELL = shell === 'bash' ? 'bash' : 'zsh';
  delete env.ZSH_NAME;
}
