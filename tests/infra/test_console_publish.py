"""``make deploy``'s last step, publishing the web console (infra/console.py), on moto:
the files of a build with their caching and content types, config.json written from the
stacks' outputs, index.html last, CloudFront's invalidation, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra import console
from infra.console import Console, PublishError, console_of, publish, publish_stage
from infra.stages import console_origin
from tests.infra.conftest import REGION

STAGE = "dev"
IMMUTABLE = "public, max-age=31536000, immutable"

# What `npm run build` leaves in web/dist (with a local config.json that must not ship).
BUILD = {
    "index.html": '<!doctype html><script type="module" src="/assets/index-B-VWlsHj.js"></script>',
    "favicon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "assets/index-B-VWlsHj.js": "console.log('adhesion')",
    "assets/index-CskmTbkX.css": "body{margin:0}",
    "config.json": '{"apiUrl": "http://127.0.0.1:8000", "authMode": "password"}',
}


@pytest.fixture
def dist(tmp_path) -> Path:
    for name, text in BUILD.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def aws():
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


@pytest.fixture
def distribution_id(aws) -> str:
    config = {
        "CallerReference": "console",
        "Comment": "console",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "files", "DomainName": "files.s3.amazonaws.com"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "files", "ViewerProtocolPolicy": "redirect-to-https"},
    }
    return aws.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def _outputs(bucket: str, distribution_id: str, url: str) -> tuple[dict[str, str], dict[str, str]]:
    """The two stacks' outputs, as make deploy leaves them."""
    data = {
        "UserPoolId": f"{REGION}_Ab12Cd34E",
        "CognitoDomain": f"https://adhesion-{STAGE}-1a2b3c4d.auth.{REGION}.amazoncognito.com",
        "JwtIssuer": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Ab12Cd34E",
    }
    app = {
        "EndpointURL": f"https://a1b2c3d4e5.execute-api.{REGION}.amazonaws.com/api/",
        "ConsoleUrl": url,
        "ConsoleBucketName": bucket,
        "ConsoleDistributionId": distribution_id,
        "ConsoleClientId": "4example5client6id7",
    }
    return data, app


@pytest.fixture
def target(aws, distribution_id) -> Console:
    aws.client("s3").create_bucket(Bucket="console", CreateBucketConfiguration={"LocationConstraint": REGION})
    return console_of(*_outputs("console", distribution_id, console_origin(STAGE)), REGION)


def _stored(s3, bucket: str) -> dict[str, dict]:
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key) for key in keys}


# -- What is uploaded, with which headers -----------------------------------------------------------


def test_publishes_every_file_with_its_caching_and_content_type(aws, dist, target):
    # WHEN a build is published
    publish(dist, target, aws.client("s3"), aws.client("cloudfront"))

    # THEN the bucket holds each file of the build, and config.json
    stored = _stored(aws.client("s3"), target.bucket)
    headers = {key: (o["CacheControl"], o["ContentType"]) for key, o in stored.items()}
    assert headers == {
        # named after their content: kept for good by browsers and CloudFront
        "assets/index-B-VWlsHj.js": (IMMUTABLE, "text/javascript; charset=utf-8"),
        "assets/index-CskmTbkX.css": (IMMUTABLE, "text/css; charset=utf-8"),
        # the same name every release: revalidated on every visit
        "index.html": ("no-cache", "text/html; charset=utf-8"),
        "favicon.svg": ("no-cache", "image/svg+xml"),
        "config.json": ("no-cache", "application/json"),
    }
    for key in ("index.html", "favicon.svg", "assets/index-B-VWlsHj.js", "assets/index-CskmTbkX.css"):
        assert stored[key]["Body"].read().decode() == BUILD[key]


def test_config_json_is_written_from_the_stacks_outputs_not_taken_from_the_build(aws, dist, distribution_id):
    # GIVEN the stacks' outputs
    aws.client("s3").create_bucket(Bucket="console", CreateBucketConfiguration={"LocationConstraint": REGION})
    data, app = _outputs("console", distribution_id, "https://dev.adhesion.example.org")

    # WHEN the console they describe is published
    publish(dist, console_of(data, app, REGION), aws.client("s3"), aws.client("cloudfront"))

    # THEN config.json sends the console to the stage's API and managed login, not to the
    # local stack the build's own config.json named
    body = aws.client("s3").get_object(Bucket="console", Key="config.json")["Body"].read()
    assert json.loads(body) == {
        "apiUrl": f"https://a1b2c3d4e5.execute-api.{REGION}.amazonaws.com/api",
        "region": REGION,
        "userPoolId": f"{REGION}_Ab12Cd34E",
        "clientId": "4example5client6id7",
        "authMode": "hosted",
        "cognitoDomain": f"https://adhesion-dev-1a2b3c4d.auth.{REGION}.amazoncognito.com",
        "redirectUri": "https://dev.adhesion.example.org/auth/callback",
        "logoutUri": "https://dev.adhesion.example.org/",
    }


def test_index_html_is_uploaded_last_after_the_assets_and_config(aws, dist, target):
    # GIVEN an S3 client that notes each upload as it happens
    s3 = aws.client("s3")
    order: list[str] = []
    s3.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: order.append(params["Key"])
    )

    # WHEN a build is published
    publish(dist, target, s3, aws.client("cloudfront"))

    # THEN the assets go first and index.html last: no visitor gets a page whose files
    # or configuration are not there yet
    assert order[:2] == ["assets/index-B-VWlsHj.js", "assets/index-CskmTbkX.css"]
    assert order[-2:] == ["config.json", "index.html"]
    assert sorted(order) == sorted(_stored(s3, target.bucket))


def test_cloudfront_forgets_index_html_and_config_json(aws, dist, target):
    cloudfront = aws.client("cloudfront")

    # WHEN a build is published
    invalidation_id = publish(dist, target, aws.client("s3"), cloudfront, reference="release-1")

    # THEN the distribution is told to drop the two files a release changes in place
    invalidation = cloudfront.get_invalidation(DistributionId=target.distribution_id, Id=invalidation_id)
    batch = invalidation["Invalidation"]["InvalidationBatch"]
    assert sorted(batch["Paths"]["Items"]) == ["/config.json", "/index.html"]
    assert batch["CallerReference"] == "release-1"
    [listed] = cloudfront.list_invalidations(DistributionId=target.distribution_id)["InvalidationList"][
        "Items"
    ]
    assert listed["Id"] == invalidation_id


# -- Refusals ---------------------------------------------------------------------------------------


def test_a_build_without_index_html_is_refused_before_anything_is_uploaded(aws, dist, target):
    (dist / "index.html").unlink()

    with pytest.raises(PublishError, match="npm run build"):
        publish(dist, target, aws.client("s3"), aws.client("cloudfront"))

    assert _stored(aws.client("s3"), target.bucket) == {}
    assert (
        "Items"
        not in aws.client("cloudfront").list_invalidations(DistributionId=target.distribution_id)[
            "InvalidationList"
        ]
    )


def _deploy_stacks(aws, distribution_id: str, console_address: str) -> None:
    """The two stacks of the stage on moto, with the outputs the real ones have."""
    data, app = _outputs("unused", distribution_id, console_address)
    cloudformation = aws.client("cloudformation")

    def template(resources: dict, outputs: dict) -> str:
        return json.dumps(
            {"Resources": resources, "Outputs": {key: {"Value": value} for key, value in outputs.items()}}
        )

    cloudformation.create_stack(
        StackName=f"adhesion-{STAGE}-data",
        TemplateBody=template({"Queue": {"Type": "AWS::SQS::Queue"}}, data),
    )
    app["ConsoleBucketName"] = {"Ref": "ConsoleBucket"}
    cloudformation.create_stack(
        StackName=f"adhesion-{STAGE}",
        TemplateBody=template({"ConsoleBucket": {"Type": "AWS::S3::Bucket"}}, app),
    )


def test_publishing_a_stage_reads_its_stacks_and_fills_its_bucket(aws, dist, distribution_id):
    # GIVEN the stage's stacks, serving the console where its FRONTEND_BASE_URL says
    _deploy_stacks(aws, distribution_id, console_origin(STAGE))

    # WHEN make deploy publishes the stage
    published = publish_stage(STAGE, dist, aws)

    # THEN the stack's bucket holds the build and the stage's configuration
    assert published.url == "https://dev.adhesion.example.org"
    stored = _stored(aws.client("s3"), published.bucket)
    assert set(stored) == {"index.html", "favicon.svg", "config.json", *(k for k in BUILD if "assets/" in k)}
    assert json.loads(stored["config.json"]["Body"].read())["clientId"] == "4example5client6id7"


def test_a_console_served_elsewhere_than_the_emails_link_is_not_published(aws, dist, distribution_id):
    # GIVEN a first deployment on CloudFront's own domain while FRONTEND_BASE_URL still
    # names the stage's future domain
    _deploy_stacks(aws, distribution_id, "https://d1234abcd.cloudfront.net")

    # WHEN make deploy publishes the stage
    with pytest.raises(PublishError) as refused:
        publish_stage(STAGE, dist, aws)

    # THEN it stops, saying which address to set, and uploads nothing
    assert "served at https://d1234abcd.cloudfront.net" in str(refused.value)
    assert "FRONTEND_BASE_URL" in str(refused.value)
    bucket = aws.client("cloudformation").describe_stack_resource(
        StackName=f"adhesion-{STAGE}", LogicalResourceId="ConsoleBucket"
    )["StackResourceDetail"]["PhysicalResourceId"]
    assert _stored(aws.client("s3"), bucket) == {}


def test_the_cli_says_why_it_did_not_publish(aws, dist, distribution_id, monkeypatch):
    _deploy_stacks(aws, distribution_id, "https://d1234abcd.cloudfront.net")
    # (the CLI builds its session from the environment; here, moto's)
    monkeypatch.setattr(boto3.session, "Session", lambda **_: aws)

    with pytest.raises(SystemExit) as stopped:
        console.main(["publish", STAGE, "--dist", str(dist)])

    assert str(stopped.value).startswith(
        "make deploy: the console was not published: the console is served at"
    )


def test_a_stage_without_a_console_publishes_nothing(aws, dist, distribution_id):
    # GIVEN an application stack deployed with Console=false: no console among its outputs
    data, app = _outputs("unused", distribution_id, console_origin(STAGE))
    cloudformation = aws.client("cloudformation")
    for name, outputs in (
        (f"adhesion-{STAGE}-data", data),
        (f"adhesion-{STAGE}", {"EndpointURL": app["EndpointURL"]}),
    ):
        body = {
            "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {k: {"Value": v} for k, v in outputs.items()},
        }
        cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(body))

    # WHEN make deploy publishes the stage
    published = publish_stage(STAGE, dist, aws)

    # THEN there was nothing to publish to, and nothing was invalidated
    assert published is None
    assert aws.client("s3").list_buckets()["Buckets"] == []
    assert (
        "Items"
        not in aws.client("cloudfront").list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    )


def test_a_console_needs_the_data_stacks_user_pool(distribution_id):
    data, app = _outputs("console", distribution_id, console_origin(STAGE))
    del data["CognitoDomain"], data["UserPoolId"]

    with pytest.raises(PublishError, match="CreateUserPool"):
        console_of(data, app, REGION)


# -- The console's origin, from the stage's settings --------------------------------------------------


def _chalice_dir(tmp_path: Path, **variables: str) -> Path:
    (tmp_path / "config.json").write_text(
        json.dumps({"stages": {STAGE: {"environment_variables": variables}}}), encoding="utf-8"
    )
    return tmp_path


def test_console_origin_is_the_stages_frontend_base_url(tmp_path):
    chalice = _chalice_dir(tmp_path, FRONTEND_BASE_URL="https://adhesion.example.org/")

    assert console_origin(STAGE, chalice) == "https://adhesion.example.org"


@pytest.mark.parametrize(
    "address",
    [
        "http://adhesion.example.org",
        "https://adhesion.example.org/console",
        "https://adhesion.example.org:8443",
        "",
    ],
)
def test_a_frontend_base_url_that_is_not_an_https_origin_is_refused(tmp_path, address):
    chalice = _chalice_dir(tmp_path, FRONTEND_BASE_URL=address)

    with pytest.raises(ValueError, match="not an https origin"):
        console_origin(STAGE, chalice)


def test_an_api_cors_origin_other_than_the_consoles_is_refused(tmp_path):
    # GIVEN a stage whose API would admit browser calls from another origin than the console's
    chalice = _chalice_dir(
        tmp_path,
        FRONTEND_BASE_URL="https://adhesion.example.org",
        CORS_ALLOW_ORIGIN="https://other.example.org",
    )

    # THEN the console's origin cannot be settled: make deploy stops before anything runs
    with pytest.raises(ValueError, match="CORS_ALLOW_ORIGIN"):
        console_origin(STAGE, chalice)
    same = _chalice_dir(
        tmp_path,
        FRONTEND_BASE_URL="https://adhesion.example.org",
        CORS_ALLOW_ORIGIN="https://adhesion.example.org",
    )
    assert console_origin(STAGE, same) == "https://adhesion.example.org"
