"""Building blocks: one small module per published idea; a registry maps names to blocks and a
``DesignSpec`` turns JSON into a block tree."""

from agentarch.blocks.base import Block, Params
from agentarch.blocks.context import CodeResult, Context
from agentarch.blocks.registry import all_blocks, get_block, register
from agentarch.blocks.spec import DesignSpec, parse_design

__all__ = ["Block", "CodeResult", "Context", "DesignSpec", "Params", "all_blocks", "get_block",
           "parse_design", "register"]
