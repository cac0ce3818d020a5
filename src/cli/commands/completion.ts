/**
 * `handoff completion bash|zsh`: a completion script made from the command list itself, so it
 * knows every command and option there is (`eval "$(handoff completion bash)"`).
 */
import { Command as Commander } from 'commander';
import { UsageError } from '../args.js';
import { defineCommand, type AnyCommand } from '../command.js';

/** The words that may follow each command path (`''` is the top): sub-commands, or options. */
export function completionWords(commands: readonly AnyCommand[]): Map<string, Set<string>> {
  const words = new Map<string, Set<string>>();
  const add = (path: string, word: string): void => void (words.get(path) ?? words.set(path, new Set()).get(path)!).add(word);
  add('', '--help');
  add('', '--version');
  for (const spec of commands) {
    spec.path.forEach((word, i) => add(spec.path.slice(0, i).join(' '), word));
    const cmd = new Commander(spec.path.at(-1)!);
    spec.define?.(cmd);
    const leaf = spec.path.join(' ');
    add(leaf, '--help');
    for (const option of cmd.options) if (option.long) add(leaf, option.long);
  }
  return words;
}

/** A bash completion function for `handoff` (zsh runs it through bashcompinit). */
export function bashCompletion(commands: readonly AnyCommand[]): string {
  const cases = [...completionWords(commands)].map(([path, words]) => `    ${JSON.stringify(path)}) echo ${JSON.stringify([...words].join(' '))} ;;`);
  return `# handoff completion (bash): eval "$(handoff completion bash)"
_handoff_words() {
  case "$1" in
${cases.join('\n')}
  esac
}
_handoff() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    case " $(_handoff_words "$path") " in *" $w "*) [[ $w != -* ]] && path="\${path:+$path }$w" ;; esac
  done
  COMPREPLY=($(compgen -W "$(_handoff_words "$path")" -- "$cur"))
}
complete -o default -F _handoff handoff
`;
}

export const completion = defineCommand<Record<string, never>>({
  path: ['completion'],
  summary: 'print a shell completion script: eval "$(handoff completion bash)" (or zsh)',
  define: (cmd) => cmd.argument('<shell>', 'bash or zsh'),
  async run({ args: [shell] }, { io }) {
    // Loaded here: the command list includes this command.
    const { COMMANDS } = await import('./index.js');
    if (shell === 'bash') io.out(bashCompletion(COMMANDS));
    else if (shell === 'zsh') io.out(`autoload -U +X bashcompinit && bashcompinit\n${bashCompletion(COMMANDS)}`);
    else throw new UsageError(`completion scripts are for bash or zsh, got ${JSON.stringify(shell)}`);
    return 0;
  },
});
