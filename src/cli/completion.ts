/** What completion needs of a command: its options. */
interface Completable {
  options: Record<string, { short?: string }>;
}

/**
 * A completion script for `eval "$(jobctl completion bash)"` (or zsh): command names first, then the
 * options of the command being typed. Made from the command table, so it never falls behind it.
 */
export function completionScript(
  shell: 'bash' | 'zsh',
  commands: Record<string, Completable>,
  globalOptions: string[],
): string {
  const cases = Object.entries(commands)
    .map(([name, { options }]) => {
      const words = [...Object.keys(options), ...globalOptions].map((option) => `--${option}`).join(' ');
      return `    ${name}) opts="${words}" ;;`;
    })
    .join('\n');
  const bash = [
    '_jobctl() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" opts',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=($(compgen -W "${Object.keys(commands).join(' ')} --help --version" -- "$cur"))`,
    '    return',
    '  fi',
    '  case "${COMP_WORDS[1]}" in',
    cases,
    '    *) opts="" ;;',
    '  esac',
    '  COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
    '}',
    'complete -o default -F _jobctl jobctl',
  ].join('\n');
  // zsh runs the same function through its bash compatibility layer.
  return shell === 'bash' ? bash : ['autoload -U +X bashcompinit && bashcompinit', bash].join('\n');
}
