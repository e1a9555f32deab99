"""Another app's conversation tree made into Charla's: versions kept, plumbing left out.

ChatGPT, Open WebUI and LM Studio all keep a conversation as a tree (a regenerated answer or an
edited question is a sibling of the one it replaces) with one branch shown. Their importers describe
it as :class:`Node`\\ s — an id, a parent id, and the :class:`~.model.Turn` to store or ``None`` for
what is not chat text (the system message, hidden context, tool calls and their results, empty
placeholders; :func:`walk` does it for a tree kept as objects by id) — and :func:`build` makes
the list of turns :mod:`.load` stores:

1. **Follow the tree, not the clock.** Children are taken in the order the nodes are given (their
   version order); times are never sorted (ChatGPT has children older than their parent). A node
   whose parent is unknown is a first message; nodes in a cycle are never reached and are left out.
2. **Leave out what is not shown.** A node without a turn (or with an empty one, unless it is an
   answer that failed: Charla shows those, with their error) disappears and its children move up
   to its nearest kept ancestor, so "user → hidden tool call → tool result → answer" becomes
   "user → answer".
3. **One answer, one message.** An answer whose parent is an answer with no other child is merged
   into it (text and reasoning joined; the later part's model, status and statistics win): ChatGPT
   splits one reply into a "thinking" node, text before a tool call and text after it; Charla
   shows one answer. Likewise a person's message repeated word for word right under itself (LM
   Studio files have such doubles) is kept once.
4. **The branch shown stays shown.** The source's current leaf (after 2 and 3, the kept message
   that stands for it) and the path to it are selected; below it, if it is not a leaf, the newest
   version at each fork (as Charla does when a version is chosen). Without a current leaf, the
   newest branch is selected.

The result lists parents before children (depth-first, versions in order), so ids given in that
order grow along every path, as Charla's tree requires.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from core.services.importers.fields import mapping
from core.services.importers.model import Turn
from core.vocab import Sender, Status


class Node(NamedTuple):  # a tuple: one is made for every message of an export
    key: str
    parent: str | None
    turn: Turn | None  # None: not chat text (its children move up)


def depth_first(nodes: Mapping[str, Any], parent: str, children: str) -> list[str]:
    """The ids of ``nodes`` (objects with a ``parent`` id and a list of ``children`` ids, as
    ChatGPT and Open WebUI keep them) depth-first from the roots along the children lists, so
    versions come in their order; then any node the lists do not reach."""
    below: dict[str, list[str]] = {}
    roots: list[str] = []
    for key, node in nodes.items():
        node = node if isinstance(node, dict) else {}
        kids = node.get(children)
        below[key] = [k for k in kids if isinstance(k, str)] if isinstance(kids, list) else []
        if node.get(parent) not in nodes:
            roots.append(key)
    order: list[str] = []
    seen: set[str] = set()
    stack = roots[::-1]
    while stack:
        key = stack.pop()
        if key in seen or key not in below:
            continue
        seen.add(key)
        order.append(key)
        stack += below[key][::-1]
    return order + [key for key in nodes if key not in seen]


def walk(
    nodes: Mapping[str, Any],
    parent: str,
    children: str,
    turn: Callable[[dict[str, Any]], Turn | None],
) -> list[Node]:
    """The :class:`Node`\\ s of a tree kept as objects by id with ``parent`` and ``children`` ids
    (ChatGPT's ``mapping``, Open WebUI's ``history.messages``), in :func:`depth_first` order, each
    node's object made into its turn by ``turn`` (``None``: not chat text)."""
    tree = []
    for key in depth_first(nodes, parent, children):
        node = mapping(nodes[key])
        above = node.get(parent)
        tree.append(Node(str(key), above if isinstance(above, str) else None, turn(node)))
    return tree


def _join(first: str, second: str) -> str:
    return f"{first}\n\n{second}" if first and second else first or second


def _merge(earlier: Turn, later: Turn) -> Turn:
    """One answer from two consecutive parts of it."""
    return replace(
        later,
        content=_join(earlier.content, later.content),
        reasoning=_join(earlier.reasoning, later.reasoning),
        created_at=earlier.created_at or later.created_at,
        model=later.model or earlier.model,
        parent=earlier.parent,
    )


def build(nodes: Sequence[Node], current: str | None) -> list[Turn]:
    """The turns to store, parents first, with the selected branch marked (see the module)."""
    turns, stands_for = _kept(nodes)
    alias = _merge_runs(turns)
    order = [i for i in range(len(turns)) if i not in alias]
    position = {old: new for new, old in enumerate(order)}
    result = []
    for index in order:
        turn = turns[index]
        turn.parent = None if turn.parent is None else position[turn.parent]
        result.append(turn)
    leaf = stands_for.get(current) if current is not None else None
    select_branch(result, None if leaf is None else position[alias.get(leaf, leaf)])
    return result


def _kept(nodes: Sequence[Node]) -> tuple[list[Turn], dict[str, int]]:
    """Steps 1 and 2: the shown turns in depth-first order, each with its parent's index; and for
    every node reached, the kept turn standing for it (itself, or its nearest kept ancestor)."""
    known: dict[str, Node] = {}
    for node in nodes:
        known.setdefault(node.key, node)
    children: dict[str | None, list[str]] = defaultdict(list)
    for key, node in known.items():
        parent = node.parent if node.parent in known and node.parent != key else None
        children[parent].append(key)
    turns: list[Turn] = []
    stands_for: dict[str, int] = {}
    stack: list[tuple[str, int | None]] = [(key, None) for key in reversed(children[None])]
    while stack:
        key, above = stack.pop()
        turn = known[key].turn
        here = above
        if turn is not None and (turn.content or turn.reasoning or turn.status == Status.ERROR):
            turn.parent, turn.selected = above, False  # the importer's own object: taken over
            turns.append(turn)
            here = len(turns) - 1
        if here is not None:
            stands_for[key] = here
        stack.extend((child, here) for child in reversed(children.get(key, ())))
    return turns, stands_for


def _merge_runs(turns: list[Turn]) -> dict[int, int]:
    """Step 3, in place: merge an answer into its parent answer when it is the only child (and drop
    a person's message repeated under itself). Returns merged-away index -> index merged into."""
    kids: dict[int | None, list[int]] = defaultdict(list)
    for index, turn in enumerate(turns):
        kids[turn.parent].append(index)
    alias: dict[int, int] = {}
    for index, turn in enumerate(turns):  # parents before children: chains fold from the top
        above = turn.parent
        if above is None or len(kids[above]) != 1:
            continue
        parent = turns[above]
        if parent.sender == turn.sender == Sender.LLM:
            turns[above] = _merge(parent, turn)
        elif not (parent.sender == turn.sender == Sender.USER and parent.content == turn.content):
            continue
        alias[index] = above
        kids[above] = kids.pop(index, [])
        for child in kids[above]:
            turns[child].parent = above
    return alias


def select_branch(turns: list[Turn], leaf: int | None) -> None:
    """Mark the path to ``leaf`` (default: the newest branch) and below it the newest versions."""
    if not turns:
        return
    below: dict[int | None, list[int]] = defaultdict(list)
    for index, turn in enumerate(turns):
        below[turn.parent].append(index)
    if leaf is None:
        leaf = below[None][-1]
    path = []
    at: int | None = leaf
    while at is not None:
        path.append(at)
        at = turns[at].parent
    at = leaf
    while below.get(at):
        at = below[at][-1]
        path.append(at)
    for index in path:
        turns[index].selected = True
