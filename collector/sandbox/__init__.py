"""A faithful, deterministic simulator of the Max, VK and Telegram APIs (DESIGN §5).

One aiohttp server answers for all three platforms: Max at `<url>/chats/...`, VK at `<url>/method/...`,
Telegram at `<url>/bot<token>/...`, and its own control API at `<url>/sandbox/...`.
"""

from collector.sandbox.faults import FaultSpec
from collector.sandbox.model import Behaviour, SimChannel, State
from collector.sandbox.runner import SandboxServer
from collector.sandbox.state import DEFAULT_TOKENS, SandboxConfig
from collector.sandbox.truth import export_registry, export_truth, truth
from collector.sandbox.world import World, WorldSpec

__all__ = [
    "DEFAULT_TOKENS",
    "Behaviour",
    "FaultSpec",
    "SandboxConfig",
    "SandboxServer",
    "SimChannel",
    "State",
    "World",
    "WorldSpec",
    "export_registry",
    "export_truth",
    "truth",
]
