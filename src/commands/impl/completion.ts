/**
 * Shell completion scripts for `resnet-tutor completion`. They follow yargs' own templates
 * (yargs/lib/completion-templates): the shell passes the words typed so far to
 * `resnet-tutor --get-yargs-completions`, which yargs answers from the live command table.
 * Unlike yargs' `.completion()`, the shell is chosen by a flag and nothing calls `process.exit`.
 */
/** The shells `resnet-tutor completion` writes scripts for (its command file lists them for yargs). */
export type CompletionShell = 'bash' | 'zsh';

const APP = 'resnet-tutor';
/** Shell function names cannot contain '-'. */
const FN = `_${APP.replace(/-/g, '_')}_completions`;

const BASH = `###-begin-${APP}-completions-###
#
# ${APP} command completion for bash.
# Installation: ${APP} completion >> ~/.bashrc   (or ~/.bash_profile on macOS)
#
${FN}()
{
    local cur_word args type_list

    cur_word="\${COMP_WORDS[COMP_CWORD]}"
    args=("\${COMP_WORDS[@]}")

    # ask ${APP} (yargs) for the completions of the words typed so far
    type_list=$(${APP} --get-yargs-completions "\${args[@]}" 2>/dev/null)

    COMPREPLY=( $(compgen -W "\${type_list}" -- \${cur_word}) )

    # no match: fall back to file name completion (-o default below)
    if [ \${#COMPREPLY[@]} -eq 0 ]; then
      COMPREPLY=()
    fi

    return 0
}
complete -o bashdefault -o default -F ${FN} ${APP}
###-end-${APP}-completions-###
`;

const ZSH = `#compdef ${APP}
###-begin-${APP}-completions-###
#
# ${APP} command completion for zsh.
# Installation: ${APP} completion --shell zsh >> ~/.zshrc
#
${FN}()
{
  local reply
  local si=$IFS
  IFS=$'\\n' reply=($(COMP_CWORD="$((CURRENT-1))" COMP_LINE="$BUFFER" COMP_POINT="$CURSOR" ${APP} --get-yargs-completions "\${words[@]}" 2>/dev/null))
  IFS=$si
  _describe 'values' reply
}
compdef ${FN} ${APP}
###-end-${APP}-completions-###
`;

/** The completion script for `shell`. */
export function completionScript(shell: CompletionShell): string {
  return shell === 'zsh' ? ZSH : BASH;
}
