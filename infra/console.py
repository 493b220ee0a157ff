"""Publishes a deployed stage's web console: the files ``npm run build`` wrote into
``web/dist`` go to the console's bucket, each with the caching it needs; the
``config.json`` the console reads at start-up is written from the two stacks' outputs;
then CloudFront forgets the two files that keep their names from one release to the next.

``make deploy`` runs ``python -m infra.console publish STAGE --dist web/dist`` once both
stacks are deployed (docs/deploy.md, "The web console"). The functions below take their
AWS clients as arguments: the tests run them on moto.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from infra.stages import STAGES, console_origin

logger = logging.getLogger(__name__)

# Vite names every file under assets/ after its content: a changed file gets a new
# name, so browsers and CloudFront may keep each one for good.
ASSETS_PREFIX = "assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
# index.html, config.json and the other root files keep their names across releases:
# always revalidated (S3's ETag makes an unchanged one a 304).
REVALIDATE = "no-cache"
INDEX = "index.html"
CONFIG = "config.json"
# The files a new release changes under the same name. The edges do not keep them
# (the distribution's cache policy), so this only guards against a copy cached before.
INVALIDATED_PATHS = ("/index.html", "/config.json")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}


class PublishError(Exception):
    """The console cannot be published as things stand; the message says what to do."""


@dataclass(frozen=True)
class Console:
    """Where a stage's console is served from and what its ``config.json`` says."""

    url: str
    bucket: str
    distribution_id: str
    config: dict[str, str]


def data_stack(stage: str) -> str:
    return f"adhesion-{stage}-data"


def app_stack(stage: str) -> str:
    return f"adhesion-{stage}"


def stack_outputs(cloudformation, stack_name: str) -> dict[str, str]:
    """The outputs of ``stack_name``, by key."""
    [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def console_of(data: dict[str, str], app: dict[str, str], region: str) -> Console | None:
    """The console the stacks' outputs describe; None when the application stack serves
    none (its ``Console`` parameter is "false")."""
    if "ConsoleBucketName" not in app:
        return None
    missing = {"UserPoolId", "CognitoDomain"} - set(data)
    if missing:
        raise PublishError(
            f"the data stack has no {', '.join(sorted(missing))} output: the console signs in "
            "with its Cognito user pool (CreateUserPool=true); without one, deploy with "
            "CREATE_USER_POOL=false, which serves no console"
        )
    url = app["ConsoleUrl"].rstrip("/")
    return Console(
        url=url,
        bucket=app["ConsoleBucketName"],
        distribution_id=app["ConsoleDistributionId"],
        config={
            # Chalice's EndpointURL ends with the stage path and a slash; the console
            # appends paths that begin with one.
            "apiUrl": app["EndpointURL"].rstrip("/"),
            "region": region,
            "userPoolId": data["UserPoolId"],
            "clientId": app["ConsoleClientId"],
            "authMode": "hosted",
            "cognitoDomain": data["CognitoDomain"].rstrip("/"),
            "redirectUri": f"{url}/auth/callback",
            "logoutUri": f"{url}/",
        },
    )


def check_origin(console: Console, frontend_base_url: str) -> None:
    """The console must be served where the emails link to and where the API admits
    calls from (both the stage's FRONTEND_BASE_URL), and its sign-in returns there."""
    if console.url != frontend_base_url.rstrip("/"):
        raise PublishError(
            f"the console is served at {console.url}, but the stage's FRONTEND_BASE_URL is "
            f"{frontend_base_url}: emails would link elsewhere, the API would refuse the "
            "console's calls and sign-in would return elsewhere. Set FRONTEND_BASE_URL (and "
            f"CORS_ALLOW_ORIGIN) in .chalice/config.json to {console.url}, or give that "
            "domain's certificate (CONSOLE_CERTIFICATE_ARN=...), then run make deploy again "
            '(docs/deploy.md, "The web console")'
        )


def cache_control(key: str) -> str:
    return IMMUTABLE if key.startswith(ASSETS_PREFIX) else REVALIDATE


def content_type(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def planned_uploads(dist: Path) -> list[tuple[Path, str]]:
    """The files of ``dist`` and their keys, in the order they are uploaded: the assets
    first and index.html last, so that no visitor gets an index.html whose assets are not
    there yet. A ``config.json`` of the build (a local one) is never published."""
    if not (dist / INDEX).is_file():
        raise PublishError(f"{dist / INDEX} does not exist: build the console first (npm run build in web/)")
    files = sorted(path for path in dist.rglob("*") if path.is_file())
    keys = [(path, path.relative_to(dist).as_posix()) for path in files]
    keys = [(path, key) for path, key in keys if key != CONFIG]

    def rank(item: tuple[Path, str]) -> tuple[int, str]:
        key = item[1]
        return (0 if key.startswith(ASSETS_PREFIX) else 2 if key == INDEX else 1, key)

    return sorted(keys, key=rank)


def publish(dist: Path, console: Console, s3, cloudfront, reference: str | None = None) -> str:
    """Upload ``dist`` and ``config.json`` to the console's bucket, then invalidate the
    files that change under the same name; return the invalidation's id."""
    uploads = planned_uploads(dist)
    *before_index, (index_path, index_key) = uploads
    for path, key in before_index:
        _put(s3, console.bucket, key, path.read_bytes())
    # config.json before index.html: a new page never reads a previous configuration.
    _put(s3, console.bucket, CONFIG, (json.dumps(console.config, indent=2) + "\n").encode())
    _put(s3, console.bucket, index_key, index_path.read_bytes())
    invalidation = cloudfront.create_invalidation(
        DistributionId=console.distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(INVALIDATED_PATHS), "Items": list(INVALIDATED_PATHS)},
            "CallerReference": reference or f"adhesion-console-{time.time_ns()}",
        },
    )["Invalidation"]
    logger.info(
        "published %d files and %s to s3://%s; CloudFront invalidation %s (%s)",
        len(uploads),
        CONFIG,
        console.bucket,
        invalidation["Id"],
        ", ".join(INVALIDATED_PATHS),
    )
    return invalidation["Id"]


def _put(s3, bucket: str, key: str, body: bytes) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType=content_type(key),
        CacheControl=cache_control(key),
    )


def publish_stage(stage: str, dist: Path, session: Any) -> Console | None:
    """Publish ``stage``'s console from its stacks' outputs; None when it serves none."""
    cloudformation = session.client("cloudformation")
    console = console_of(
        stack_outputs(cloudformation, data_stack(stage)),
        stack_outputs(cloudformation, app_stack(stage)),
        cloudformation.meta.region_name,
    )
    if console is None:
        logger.info("%s serves no console (Console=false): nothing to publish", app_stack(stage))
        return None
    check_origin(console, console_origin(stage))
    publish(dist, console, session.client("s3"), session.client("cloudfront"))
    logger.info("the console of %s is at %s", stage, console.url)
    return console


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("publish", help="publish web/dist and config.json to a deployed stage")
    command.add_argument("stage", choices=STAGES)
    command.add_argument("--dist", type=Path, default=Path("web/dist"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import boto3

    try:
        publish_stage(args.stage, args.dist, boto3.session.Session())
    except (PublishError, ValueError) as error:
        sys.exit(f"make deploy: the console was not published: {error}")


if __name__ == "__main__":
    main()
