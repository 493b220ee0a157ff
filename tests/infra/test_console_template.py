"""The deployed web console as the packaged application template declares it: the
private bucket behind CloudFront, the security headers, the caching of each kind of
file, single-page addresses, and the console's Cognito app client. moto's CloudFormation
creates none of CloudFront or Cognito (tests/infra/rehearsal.py), so their declarations
are checked here; the paths function is run in Node.js, as CloudFront runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.infra.cfn import exported

YEAR = 365 * 24 * 3600
CONSOLE_RESOURCES = {
    "ConsoleBucket": "AWS::S3::Bucket",
    "ConsoleBucketPolicy": "AWS::S3::BucketPolicy",
    "ConsoleLogBucket": "AWS::S3::Bucket",
    "ConsoleLogBucketPolicy": "AWS::S3::BucketPolicy",
    "ConsoleOriginAccessControl": "AWS::CloudFront::OriginAccessControl",
    "ConsolePathsFunction": "AWS::CloudFront::Function",
    "ConsoleAssetsCachePolicy": "AWS::CloudFront::CachePolicy",
    "ConsoleDocumentsCachePolicy": "AWS::CloudFront::CachePolicy",
    "ConsoleHeadersPolicy": "AWS::CloudFront::ResponseHeadersPolicy",
    "ConsoleDistribution": "AWS::CloudFront::Distribution",
    "ConsoleClient": "AWS::Cognito::UserPoolClient",
    "ConsoleManagedLogin": "AWS::Cognito::ManagedLoginBranding",
}


def _props(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][name]["Properties"]


def _distribution(sam: dict[str, Any]) -> dict[str, Any]:
    return _props(sam, "ConsoleDistribution")["DistributionConfig"]


def _behaviours(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The distribution's cache behaviours by path pattern ("*" for the default one)."""
    config = _distribution(sam)
    return {"*": config["DefaultCacheBehavior"]} | {b["PathPattern"]: b for b in config["CacheBehaviors"]}


def _cache_policy(sam: dict[str, Any], behaviour: dict[str, Any]) -> dict[str, Any]:
    reference = behaviour["CachePolicyId"]
    assert list(reference) == ["Ref"], reference
    return _props(sam, reference["Ref"])["CachePolicyConfig"]


def _csp(sam: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The Content-Security-Policy's directives, and the values its ${...} stand for."""
    headers = _props(sam, "ConsoleHeadersPolicy")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]
    assert csp["Override"] is True
    text, variables = csp["ContentSecurityPolicy"]["Fn::Sub"]
    directives = {}
    for directive in text.split(";"):
        name, *sources = directive.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = sources
    return directives, variables


# -- What the stack holds ----------------------------------------------------------------------


def test_console_is_served_unless_the_stage_has_no_user_pool(sam):
    # GIVEN the console's resources
    for name, resource_type in CONSOLE_RESOURCES.items():
        resource = sam["Resources"][name]
        # THEN each is there, of its type, and only when the stage serves a console
        assert resource["Type"] == resource_type, name
        assert resource["Condition"] == "ServeConsole", name
    assert sam["Conditions"]["ServeConsole"] == {"Fn::Equals": [{"Ref": "Console"}, "true"]}
    assert sam["Parameters"]["Console"]["Default"] == "true"


# -- The private bucket behind CloudFront --------------------------------------------------------


@pytest.mark.parametrize("bucket", ["ConsoleBucket", "ConsoleLogBucket"])
def test_console_buckets_are_private_encrypted_and_versioned(sam, bucket):
    properties = _props(sam, bucket)

    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [encryption] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = properties["LifecycleConfiguration"]["Rules"]
    assert all(rule["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 30 for rule in rules)


def test_console_bucket_accepts_no_acl_and_logs_its_writes(sam):
    properties = _props(sam, "ConsoleBucket")

    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    logging = properties["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {"Ref": "ConsoleLogBucket"}
    # The log bucket admits S3's deliveries from the console bucket, into its folder only.
    [delivery] = [
        s
        for s in _props(sam, "ConsoleLogBucketPolicy")["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Resource"] == {"Fn::Sub": "${ConsoleLogBucket.Arn}/" + logging["LogFilePrefix"] + "*"}
    source = delivery["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert source == "arn:${AWS::Partition}:s3:::" + properties["BucketName"]["Fn::Sub"]
    assert sam["Resources"]["ConsoleBucket"]["DependsOn"] == ["ConsoleLogBucketPolicy"]
    # CloudFront's standard logs go to the same bucket.
    assert _distribution(sam)["Logging"]["Bucket"] == {"Fn::GetAtt": ["ConsoleLogBucket", "DomainName"]}
    assert _distribution(sam)["Logging"]["IncludeCookies"] is False


@pytest.mark.parametrize(
    ("policy", "bucket"),
    [("ConsoleBucketPolicy", "ConsoleBucket"), ("ConsoleLogBucketPolicy", "ConsoleLogBucket")],
)
def test_console_buckets_refuse_plain_http(sam, policy, bucket):
    properties = _props(sam, policy)
    statements = {s["Sid"]: s for s in properties["PolicyDocument"]["Statement"]}

    assert properties["Bucket"] == {"Ref": bucket}
    deny = statements["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::GetAtt": [bucket, "Arn"]} in deny["Resource"]
    assert {"Fn::Sub": f"${{{bucket}.Arn}}/*"} in deny["Resource"]


def test_only_the_consoles_distribution_reads_its_bucket(sam):
    # GIVEN what the console bucket's policy allows
    statements = [
        s for s in _props(sam, "ConsoleBucketPolicy")["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]
    # THEN CloudFront alone, and only on behalf of this distribution, reads the files
    # (and may see which are missing, so that a missing one is a 404)
    distribution_arn = (
        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${ConsoleDistribution}"
    )
    this_distribution = {"StringEquals": {"AWS:SourceArn": {"Fn::Sub": distribution_arn}}}
    assert {(s["Action"], json.dumps(s["Resource"])) for s in statements} == {
        ("s3:GetObject", json.dumps({"Fn::Sub": "${ConsoleBucket.Arn}/*"})),
        ("s3:ListBucket", json.dumps({"Fn::GetAtt": ["ConsoleBucket", "Arn"]})),
    }
    for statement in statements:
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert statement["Condition"] == this_distribution


def test_cloudfront_reaches_the_bucket_through_origin_access_control(sam):
    # GIVEN the distribution's only origin
    [origin] = _distribution(sam)["Origins"]

    # THEN it is the bucket's regional endpoint, signed by an origin access control, with
    # no origin access identity (the legacy mechanism)
    assert origin["DomainName"] == {"Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    control = _props(sam, "ConsoleOriginAccessControl")["OriginAccessControlConfig"]
    assert (
        control["OriginAccessControlOriginType"],
        control["SigningBehavior"],
        control["SigningProtocol"],
    ) == (
        "s3",
        "always",
        "sigv4",
    )
    assert all(b["TargetOriginId"] == origin["Id"] for b in _behaviours(sam).values())


# -- Security headers --------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(sam):
    for pattern, behaviour in _behaviours(sam).items():
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeadersPolicy"}, pattern
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https", pattern
        assert behaviour["AllowedMethods"] == ["GET", "HEAD"], pattern


def test_content_security_policy_allows_the_consoles_own_code_only(sam):
    directives, _ = _csp(sam)

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    # No inline script or style, no eval, no data: or blob: URL, no wildcard, anywhere.
    sources = {source for values in directives.values() for source in values}
    assert not {"'unsafe-inline'", "'unsafe-eval'", "data:", "blob:", "*", "https:"} & sources


def test_content_security_policy_lets_the_console_call_only_the_api_and_the_sign_in(sam, stateful, stage):
    # GIVEN the origins the console may call
    directives, variables = _csp(sam)
    assert directives["connect-src"] == ["'self'", "${Api}", "${SignIn}"]

    # THEN one is this stack's API, at the origin of Chalice's EndpointURL
    endpoint = sam["Outputs"]["EndpointURL"]["Value"]["Fn::Sub"]
    assert variables["Api"] == {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert endpoint.startswith(variables["Api"]["Fn::Sub"] + "/")
    # AND the other the managed login's domain, which the data stack exports
    domain = exported(stateful, variables["SignIn"], stage)
    assert domain["Fn::Sub"][0] == "https://${Prefix}.auth.${AWS::Region}.amazoncognito.com"


def test_console_cannot_be_framed_sniffed_or_reached_over_http(sam):
    config = _props(sam, "ConsoleHeadersPolicy")["ResponseHeadersPolicyConfig"]
    headers = config["SecurityHeadersConfig"]
    directives, _ = _csp(sam)

    assert directives["frame-ancestors"] == ["'none'"]
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ContentTypeOptions"] == {"Override": True}
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= YEAR
    assert hsts["IncludeSubdomains"] is True
    assert hsts["Override"] is True
    # The console's addresses name organizations and requests: no Referer carries them away.
    assert headers["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    custom = {item["Header"]: item for item in config["CustomHeadersConfig"]["Items"]}
    assert custom["Cross-Origin-Opener-Policy"]["Value"] == "same-origin"
    assert "camera=()" in custom["Permissions-Policy"]["Value"]


# -- Caching -------------------------------------------------------------------------------------


def test_hashed_assets_are_kept_a_year(sam):
    assets = _behaviours(sam)["/assets/*"]
    policy = _cache_policy(sam, assets)

    assert (policy["MinTTL"], policy["DefaultTTL"], policy["MaxTTL"]) == (YEAR, YEAR, YEAR)
    assert assets["Compress"] is True
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["EnableAcceptEncodingGzip"] and key["EnableAcceptEncodingBrotli"]


def test_index_html_and_config_json_are_never_kept_at_the_edge(sam):
    # Everything outside /assets/ (index.html, config.json, favicon.svg) takes the
    # default behaviour.
    policy = _cache_policy(sam, _behaviours(sam)["*"])

    assert (policy["MinTTL"], policy["DefaultTTL"], policy["MaxTTL"]) == (0, 0, 0)


@pytest.mark.parametrize("pattern", ["*", "/assets/*"])
def test_cache_keys_hold_no_cookie_header_or_query_string(sam, pattern):
    # The console's files are the same for everyone; the OAuth callback's code and state
    # stay in the address bar and never reach the bucket.
    key = _cache_policy(sam, _behaviours(sam)[pattern])["ParametersInCacheKeyAndForwardedToOrigin"]

    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


# -- Single-page addresses -----------------------------------------------------------------------


def test_pages_are_rewritten_to_index_html_by_a_function_not_by_error_responses(sam):
    behaviours = _behaviours(sam)

    [association] = behaviours["*"]["FunctionAssociations"]
    assert association == {
        "EventType": "viewer-request",
        "FunctionARN": {"Fn::GetAtt": ["ConsolePathsFunction", "FunctionARN"]},
    }
    assert "FunctionAssociations" not in behaviours["/assets/*"]
    # Error responses turned into index.html would hide a missing asset or config.json.
    assert "CustomErrorResponses" not in _distribution(sam)
    assert _distribution(sam)["DefaultRootObject"] == "index.html"
    function = _props(sam, "ConsolePathsFunction")
    assert function["AutoPublish"] is True
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"


# Each address the console has (web/README.md, "Addresses"), and files.
PATHS = {
    "/": "/index.html",
    "/organizations/2155dee225fa4eb2bfbc3965b962e48b": "/index.html",
    "/organizations/2155dee2/membership-requests/cfbcb3d8d9234f00": "/index.html",
    "/me/requests": "/index.html",
    "/me/organizations/": "/index.html",
    "/organizations/new": "/index.html",
    "/auth/callback": "/index.html",
    "/sign-in": "/index.html",
    "/index.html": "/index.html",
    "/config.json": "/config.json",
    "/favicon.svg": "/favicon.svg",
    "/assets/index-B-VWlsHj.js": "/assets/index-B-VWlsHj.js",
    "/no-such-file.js": "/no-such-file.js",
}


def test_paths_function_serves_pages_as_index_html_and_files_as_themselves(sam, tmp_path):
    # GIVEN the function's code, as CloudFront runs it on each viewer request
    node = shutil.which("node")
    assert node, "Node.js runs the console's build (web/) and this check: install it"
    script = tmp_path / "paths.js"
    harness = """
const event = (uri) => ({request: {method: 'GET', uri: uri, querystring: {code: {value: 'c'}}}});
const uris = JSON.parse(process.argv[2]);
console.log(JSON.stringify(uris.map((uri) => handler(event(uri)).uri)));
"""
    script.write_text(_props(sam, "ConsolePathsFunction")["FunctionCode"] + harness, encoding="utf-8")

    # WHEN it sees each address
    result = subprocess.run(  # noqa: S603
        [node, str(script), json.dumps(list(PATHS))], capture_output=True, text=True, check=True, timeout=30
    )

    # THEN pages are index.html, and files (missing ones too) are left to the bucket
    assert dict(zip(PATHS, json.loads(result.stdout), strict=True)) == PATHS


# -- The console's sign-in -----------------------------------------------------------------------


def test_console_client_signs_in_with_the_code_flow_and_no_secret(sam, stateful, stage):
    client = _props(sam, "ConsoleClient")

    assert exported(stateful, client["UserPoolId"], stage) == {"Ref": "UserPool"}
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["EnableTokenRevocation"] is True
    assert "email_verified" not in client["WriteAttributes"]
    assert not {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"} & set(
        client["ExplicitAuthFlows"]
    )


def test_console_client_returns_to_the_console_only(sam):
    client = _props(sam, "ConsoleClient")

    assert client["CallbackURLs"] == [{"Fn::Sub": "${ConsoleOrigin}/auth/callback"}]
    assert client["LogoutURLs"] == [{"Fn::Sub": "${ConsoleOrigin}/"}]
    # ConsoleOrigin is an https origin, nothing more (make deploy passes FRONTEND_BASE_URL).
    assert sam["Parameters"]["ConsoleOrigin"]["AllowedPattern"].startswith("^https://")
    assert "Default" not in sam["Parameters"]["ConsoleOrigin"]


def test_console_is_served_at_console_origin_when_it_has_its_certificate(sam):
    config = _distribution(sam)
    assert sam["Conditions"]["HasConsoleDomain"]["Fn::And"][0] == {"Condition": "ServeConsole"}

    condition, with_domain, without = config["ViewerCertificate"]["Fn::If"]
    assert condition == "HasConsoleDomain"
    assert with_domain["AcmCertificateArn"] == {"Ref": "ConsoleCertificateArn"}
    assert with_domain["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert with_domain["SslSupportMethod"] == "sni-only"
    assert without == {"CloudFrontDefaultCertificate": True}
    assert config["Aliases"]["Fn::If"][1] == [
        {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "ConsoleOrigin"}]}]}
    ]
    assert sam["Outputs"]["ConsoleUrl"]["Value"]["Fn::If"] == [
        "HasConsoleDomain",
        {"Ref": "ConsoleOrigin"},
        {"Fn::Sub": "https://${ConsoleDistribution.DomainName}"},
    ]


def test_functions_accept_the_console_clients_tokens(sam, stateful, stage):
    # GIVEN the audiences the authorizer accepts
    audiences = sam["Globals"]["Function"]["Environment"]["Variables"]["JWT_AUDIENCES"]

    condition, with_console, without = audiences["Fn::If"]
    # THEN with a console, the data stack's client and the console's; without, the former
    assert condition == "ServeConsole"
    separator, [data_stack_clients, console_client] = with_console["Fn::Join"]
    assert separator == ","
    assert console_client == {"Ref": "ConsoleClient"}
    assert data_stack_clients == without
    assert exported(stateful, without, stage)["Fn::If"][1] == {"Ref": "UserPoolClient"}


def test_managed_login_shows_cognitos_style_for_the_console_client(sam, stateful, stage):
    branding = _props(sam, "ConsoleManagedLogin")

    assert branding["ClientId"] == {"Ref": "ConsoleClient"}
    assert branding["UseCognitoProvidedValues"] is True
    assert exported(stateful, branding["UserPoolId"], stage) == {"Ref": "UserPool"}


def test_managed_login_domain_is_the_one_the_data_stack_exports(stateful):
    # GIVEN the user pool's domain and the output that names its address
    domain = stateful["Resources"]["UserPoolDomain"]
    output = stateful["Outputs"]["CognitoDomain"]

    # THEN both are there with the user pool only, the domain serves managed login (not
    # the classic hosted UI), and the output's address is built from the domain's prefix
    assert domain["Condition"] == output["Condition"] == "UseCognito"
    assert domain["Properties"]["UserPoolId"] == {"Ref": "UserPool"}
    assert domain["Properties"]["ManagedLoginVersion"] == 2
    template, variables = output["Value"]["Fn::Sub"]
    assert template == "https://${Prefix}.auth.${AWS::Region}.amazoncognito.com"
    assert variables["Prefix"] == domain["Properties"]["Domain"]
    assert output["Export"]["Name"] == {"Fn::Sub": "adhesion-${Stage}-CognitoDomain"}


def test_stack_outputs_give_the_publisher_what_it_writes(sam):
    outputs = sam["Outputs"]

    assert outputs["ConsoleBucketName"]["Value"] == {"Ref": "ConsoleBucket"}
    assert outputs["ConsoleDistributionId"]["Value"] == {"Ref": "ConsoleDistribution"}
    assert outputs["ConsoleClientId"]["Value"] == {"Ref": "ConsoleClient"}
    assert all(
        outputs[name]["Condition"] == "ServeConsole"
        for name in ("ConsoleUrl", "ConsoleBucketName", "ConsoleDistributionId", "ConsoleClientId")
    )
