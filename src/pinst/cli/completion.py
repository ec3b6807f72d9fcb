"""``pinst completion bash|zsh|fish``: a shell completion script, written from the parser.

Each script holds the commands, their options, which options take a value (a file, one of some
choices, or anything) and each option's help, all read from pinst's own argparse parser, so that
the completion is right for whatever pinst prints it. The scripts are plain data in each shell's
own completion idiom: nothing calls back into pinst while completing, which would cost a Python
start-up per Tab.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import NamedTuple

SHELLS = ("bash", "zsh", "fish")
# Metavars whose value is a path: the shells complete file names there.
PATH_METAVARS = frozenset({"FILE", "DIR", "PATH", "LOCATION"})


class Option(NamedTuple):
    strings: tuple[str, ...]  # such as ("-r", "--requirement")
    takes_value: bool
    choices: tuple[str, ...]  # the values it takes, if it takes only some
    is_path: bool
    help: str


class Command(NamedTuple):
    path: tuple[str, ...]  # () for pinst itself, ("cache", "prune") for pinst cache prune
    options: tuple[Option, ...]
    subcommands: tuple[tuple[str, str], ...]  # (name, help)
    arguments: tuple[str, ...]  # the values of an argument that takes only some (a shell)

    @property
    def key(self) -> str:
        """The command's name in the scripts: "" for pinst, "cache_prune" for pinst cache prune."""
        return "_".join(self.path)


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    commands = list(_commands(parser))
    if shell == "bash":
        return _bash(commands)
    if shell == "zsh":
        return _zsh(commands)
    return _fish(commands)


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[Command]:
    options: list[Option] = []
    subcommands: list[tuple[str, str]] = []
    children: list[tuple[str, argparse.ArgumentParser]] = []
    arguments: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, child in action.choices.items():
                subcommands.append((name, helps.get(name, "")))
                children.append((name, child))
        elif action.option_strings and action.help != argparse.SUPPRESS:
            options.append(_option(action))
        elif not action.option_strings and action.choices:
            arguments += [str(choice) for choice in action.choices]
    yield Command(path, tuple(options), tuple(subcommands), tuple(arguments))
    for name, child in children:
        yield from _commands(child, (*path, name))


def _option(action: argparse.Action) -> Option:
    takes_value = action.nargs != 0
    return Option(
        strings=tuple(action.option_strings),
        takes_value=takes_value,
        choices=tuple(str(choice) for choice in action.choices or ()),
        is_path=takes_value and action.metavar in PATH_METAVARS,
        help=_first_sentence(action.help or ""),
    )


def _first_sentence(text: str) -> str:
    return text.split("; ")[0].split(" (")[0].replace("%%", "%")


def _words(items: Iterator[str] | list[str] | tuple[str, ...]) -> str:
    return " ".join(items)


def _value_cases(commands: list[Command], indent: str, on_path: str, on_choices: str) -> str:
    """The case arms that complete an option's value: files, or one of its choices."""
    arms = []
    for command in commands:
        for option in command.options:
            pattern = "|".join(f'"{command.key}/{string}"' for string in option.strings)
            if option.choices:
                arms.append(f"{indent}{pattern}) {on_choices.format(_words(option.choices))} ;;")
            elif option.is_path:
                arms.append(f"{indent}{pattern}) {on_path} ;;")
            elif option.takes_value:
                arms.append(f"{indent}{pattern}) return 0 ;;")
    return "\n".join(arms)


def _walk_cases(commands: list[Command], indent: str) -> str:
    """The case arms that follow the words typed so far down to the command they name, and
    skip the value of an option that takes one."""
    arms = []
    for command in commands:
        for name, _ in command.subcommands:
            child = "_".join((*command.path, name))
            arms.append(f'{indent}"{command.key}/{name}") cmd={child} ;;')
        valued = [s for option in command.options if option.takes_value for s in option.strings]
        if valued:
            pattern = "|".join(f'"{command.key}/{string}"' for string in valued)
            arms.append(f"{indent}{pattern}) skip=1 ;;")
    return "\n".join(arms)


def _word_lists(commands: list[Command], indent: str) -> str:
    arms = []
    for command in commands:
        options = _words(s for option in command.options for s in option.strings)
        names = _words([name for name, _ in command.subcommands] + list(command.arguments))
        arms.append(f'{indent}"{command.key}") options="{options}"; names="{names}" ;;')
    return "\n".join(arms)


BASH_FILES = 'COMPREPLY=($(compgen -f -- "$cur")); return 0'
BASH_CHOICES = 'COMPREPLY=($(compgen -W "{}" -- "$cur")); return 0'


def _bash(commands: list[Command]) -> str:
    return f"""# bash completion for pinst, written by 'pinst completion bash'.
_pinst() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="" cmd="" skip=0 i word options names
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        if ((skip)); then skip=0; continue; fi
        case "$cmd/$word" in
{_walk_cases(commands, " " * 12)}
        esac
    done
    ((skip)) && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    case "$cmd/$prev" in
{_value_cases(commands, " " * 8, BASH_FILES, BASH_CHOICES)}
    esac
    case "$cmd" in
{_word_lists(commands, " " * 8)}
    esac
    if [[ $cur == -* || -z $names ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$names" -- "$cur"))
    fi
    return 0
}}
complete -o default -F _pinst pinst
"""


def _zsh(commands: list[Command]) -> str:
    return f"""#compdef pinst
# zsh completion for pinst, written by 'pinst completion zsh'.
_pinst() {{
    local cmd="" prev="" word options names
    local -i i skip=0
    for ((i = 2; i < CURRENT; i++)); do
        word="${{words[i]}}"
        if ((skip)); then skip=0; continue; fi
        case "$cmd/$word" in
{_walk_cases(commands, " " * 12)}
        esac
    done
    ((skip)) && prev="${{words[CURRENT-1]}}"
    case "$cmd/$prev" in
{_value_cases(commands, " " * 8, "_files; return 0", "compadd -- {}; return 0")}
    esac
    case "$cmd" in
{_word_lists(commands, " " * 8)}
    esac
    if [[ $PREFIX == -* || -z $names ]]; then
        compadd -- ${{=options}}
    else
        compadd -- ${{=names}}
    fi
}}
if [[ "${{funcstack[1]}}" == "_pinst" ]]; then
    _pinst "$@"
else
    compdef _pinst pinst
fi
"""


def _fish(commands: list[Command]) -> str:
    lines = [
        "# fish completion for pinst, written by 'pinst completion fish'.",
        "complete -c pinst -f",
    ]
    for command in commands:
        condition = _fish_condition(command)
        for name, help_text in command.subcommands:
            lines.append(f"complete -c pinst -n {condition} -a {name} -d {_fish_quote(help_text)}")
        if command.arguments:
            values = _fish_quote(_words(command.arguments))
            lines.append(f"complete -c pinst -n {condition} -a {values}")
        for option in command.options:
            lines.append(f"complete -c pinst -n {condition}{_fish_option(option)}")
    return "\n".join(lines) + "\n"


def _fish_condition(command: Command) -> str:
    """Fish runs this to tell whether the words typed so far are this command's."""
    if not command.path:
        return "__fish_use_subcommand"
    tests = [f"__fish_seen_subcommand_from {name}" for name in command.path]
    if command.subcommands:
        names = _words(name for name, _ in command.subcommands)
        tests.append(f"not __fish_seen_subcommand_from {names}")
    return _fish_quote("; and ".join(tests))


def _fish_option(option: Option) -> str:
    parts = []
    for string in option.strings:
        if string.startswith("--"):
            parts.append(f" -l {string[2:]}")
        else:
            parts.append(f" -s {string[1:]}")
    if option.choices:
        parts.append(f" -x -a {_fish_quote(_words(option.choices))}")
    elif option.is_path:
        parts.append(" -r -F")
    elif option.takes_value:
        parts.append(" -x")
    parts.append(f" -d {_fish_quote(option.help)}")
    return "".join(parts)


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
