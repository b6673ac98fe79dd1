"""Checking a ``blocks`` argument: 1-based positions or ``BlockInfo`` objects, nothing else.

cterasdk indexed its block list with ``number - 1``, so block 0 silently returned the last block
(docs/directio-client.md §7); here 0, negatives, bools, duplicates, numbers past the end and another
file's ``BlockInfo`` are refused with a typed error before any block is fetched.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Union

from cassdk_like.direct.errors import InvalidBlockSelectionError
from cassdk_like.direct.models import BlockInfo, FileId

__all__ = ["BlockSelection", "check_selection", "pick_blocks"]

BlockSelection = Optional[Sequence[Union[int, BlockInfo]]]


def _refuse(why: str, file_id: FileId) -> InvalidBlockSelectionError:
    return InvalidBlockSelectionError(why, operation="blocks", resource=f"file {file_id}")


def check_selection(blocks: object, file_id: FileId) -> Optional[List[Union[int, BlockInfo]]]:
    """The selection as a list (None: every block), refused when malformed (no request needed)."""
    if blocks is None:
        return None
    if isinstance(blocks, (str, bytes, bytearray)) or not isinstance(blocks, (list, tuple)):
        raise _refuse(
            f"blocks must be a list of block numbers or BlockInfo, not {type(blocks).__name__}", file_id
        )
    seen = set()
    for item in blocks:
        if isinstance(item, BlockInfo):
            number = item.number
            if str(item.file_id) != str(file_id):
                raise _refuse(f"BlockInfo of file {item.file_id} given for file {file_id}", file_id)
        elif isinstance(item, bool) or not isinstance(item, int):
            raise _refuse(f"a block is a 1-based number or a BlockInfo, not {item!r}", file_id)
        else:
            number = item
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise _refuse(f"block numbers start at 1, got {number!r}", file_id)
        if number in seen:
            raise _refuse(f"block {number} is asked for twice", file_id)
        seen.add(number)
    return list(blocks)


def pick_blocks(
    available: Sequence[BlockInfo], selection: Optional[Sequence[Union[int, BlockInfo]]], file_id: FileId
) -> List[BlockInfo]:
    """The file's blocks named by a checked selection, in the order asked."""
    if selection is None:
        return list(available)
    picked = []
    for item in selection:
        number = item.number if isinstance(item, BlockInfo) else item
        if number > len(available):
            raise _refuse(f"the file has {len(available)} blocks, there is no block {number}", file_id)
        block = available[number - 1]
        if isinstance(item, BlockInfo) and (item.offset, item.length) != (block.offset, block.length):
            raise _refuse(f"BlockInfo for block {number} does not match the file's block map", file_id)
        picked.append(block)
    return picked
