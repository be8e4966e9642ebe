"""proofsite as an app (for its management command); with PROOF_HUEY_INSTALL=1 its ready()
installs cloudtimeouts' Huey hooks on djhuey's HUEY, where the docs say to."""

import os

from django.apps import AppConfig


class ProofsiteConfig(AppConfig):
    name = "proofsite"

    def ready(self) -> None:
        if os.environ.get("PROOF_HUEY_INSTALL") == "1":
            from huey.contrib.djhuey import HUEY

            from cloudtimeouts.contrib.django.huey import install

            install(HUEY)
