from openboard.config import Settings
from openboard.sources._hfcache import HfCacheModelSource
from openboard.sources._hub import HubClient, HubModelSource
from openboard.sources._local import LocalModelSource
from openboard.sources._protocol import ModelSource


def build_source(settings: Settings) -> ModelSource:
    """The model source the settings name: local folders and git repositories, an HF cache, or the Hub."""
    assert settings.hf_cache is not None  # derived by Settings
    if settings.source == "hf-cache":
        return HfCacheModelSource(settings.hf_cache)
    if settings.source == "hub":
        token = settings.hub_token.get_secret_value() if settings.hub_token else None
        return HubModelSource(HubClient(token=token), settings.hf_cache)
    return LocalModelSource(settings.model_root, settings.checkouts_dir)
