"""The stateful stack's declarations that the rehearsal cannot create on moto (SES,
Cognito, alarms, resource policies): read from infra/template.yaml."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def resources(stateful) -> dict[str, Any]:
    return stateful["Resources"]


def _props(resources: dict[str, Any], name: str) -> dict[str, Any]:
    return resources[name]["Properties"]


def test_bounces_and_complaints_go_to_an_encrypted_topic(resources):
    destination = _props(resources, "MailFeedbackDestination")

    assert destination["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    event = destination["EventDestination"]
    assert event["Enabled"] is True
    assert {"bounce", "complaint"} <= set(event["MatchingEventTypes"])
    assert event["SnsDestination"]["TopicARN"] == {"Ref": "MailFeedbackTopic"}
    assert _props(resources, "MailFeedbackTopic")["KmsMasterKeyId"] == {"Ref": "NotificationsKey"}


def test_addresses_that_bounced_or_complained_are_not_mailed_again(resources):
    configuration_set = _props(resources, "MailConfigurationSet")

    assert set(configuration_set["SuppressionOptions"]["SuppressedReasons"]) == {"BOUNCE", "COMPLAINT"}
    assert configuration_set["ReputationOptions"]["ReputationMetricsEnabled"] is True


def test_the_sending_identity_uses_the_configuration_set(resources):
    identity = _props(resources, "MailIdentity")

    assert identity["ConfigurationSetAttributes"]["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    assert identity["DkimAttributes"]["SigningEnabled"] is True


def test_topics_key_lets_only_the_publishers_encrypt(resources):
    key = _props(resources, "NotificationsKey")
    statements = {s["Sid"]: s for s in key["KeyPolicy"]["Statement"]}

    assert key["EnableKeyRotation"] is True
    publishers = statements["PublishersEncrypt"]
    assert set(publishers["Principal"]["Service"]) == {"ses.amazonaws.com", "cloudwatch.amazonaws.com"}
    assert set(publishers["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    # Only the account administers the key: no one else is named.
    assert statements["AccountAdministers"]["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    assert set(statements) == {"AccountAdministers", "PublishersEncrypt"}


def test_only_the_stages_alarms_and_configuration_set_publish_to_the_topics(resources):
    alarms = _props(resources, "AlarmTopicPolicy")["PolicyDocument"]["Statement"]
    feedback = _props(resources, "MailFeedbackTopicPolicy")["PolicyDocument"]["Statement"]

    [alarm_statement] = alarms
    assert alarm_statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarm_statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(
        ":alarm:adhesion-${Stage}-*"
    )
    [feedback_statement] = feedback
    assert feedback_statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert feedback_statement["Condition"]["ArnLike"]["AWS:SourceArn"]["Fn::Sub"].endswith(
        ":configuration-set/${MailConfigurationSet}"
    )


def test_user_pool_is_optional_and_on_by_default(stateful, resources):
    assert stateful["Parameters"]["CreateUserPool"]["Default"] == "true"
    assert stateful["Conditions"]["UseCognito"] == {"Fn::Equals": [{"Ref": "CreateUserPool"}, "true"]}
    assert resources["UserPool"]["Condition"] == "UseCognito"
    assert resources["UserPoolClient"]["Condition"] == "UseCognito"


def test_user_pool_holds_what_the_authorizer_reads(resources):
    # chalicelib/tokens.py takes the caller's name, email and locale from the ID token.
    attributes = {a["Name"]: a for a in _props(resources, "UserPool")["Schema"]}
    assert {"name", "email", "locale"} <= set(attributes)
    client = _props(resources, "UserPoolClient")
    assert {"name", "email", "locale"} <= set(client["ReadAttributes"])
    assert client["GenerateSecret"] is False


def test_only_cognito_vouches_for_an_address(resources):
    # The authorizer trusts an address only when the ID token says email_verified: the app
    # client must not be able to set that attribute itself...
    client = _props(resources, "UserPoolClient")
    assert "email_verified" not in client["WriteAttributes"]
    assert "email_verified" in client["ReadAttributes"]
    # ...and a changed address must be confirmed before it replaces the verified one.
    pool = _props(resources, "UserPool")
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    assert pool["AutoVerifiedAttributes"] == ["email"]


def test_issuer_and_audience_are_what_the_authorizer_verifies(stateful):
    outputs = stateful["Outputs"]

    assert outputs["JwtIssuer"]["Value"] == {
        "Fn::If": [
            "UseCognito",
            {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"},
            {"Ref": "ExternalIssuer"},
        ]
    }
    assert outputs["JwtAudiences"]["Value"]["Fn::If"][1] == {"Ref": "UserPoolClient"}
    # Without Cognito, an external issuer must be named: CloudFormation refuses the stack otherwise.
    rule = stateful["Rules"]["ExternalProviderIsComplete"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "CreateUserPool"}, "false"]}
    assert len(rule["Assertions"]) == 2


def test_failure_queue_is_encrypted_and_keeps_messages_fourteen_days(resources):
    queue = _props(resources, "NotifyFailureQueue")

    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_stateful_alarms_watch_the_queue_and_the_senders_reputation(resources):
    alarms = {
        r["Properties"]["MetricName"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }

    assert set(alarms) == {
        "ApproximateNumberOfMessagesVisible",
        "Reputation.BounceRate",
        "Reputation.ComplaintRate",
    }
    assert alarms["ApproximateNumberOfMessagesVisible"]["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["NotifyFailureQueue", "QueueName"]}}
    ]
    # Below the rates at which SES puts an account under review (5 % and 0.1 %).
    assert alarms["Reputation.BounceRate"]["Threshold"] < 0.05
    assert alarms["Reputation.ComplaintRate"]["Threshold"] < 0.001
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        # The alarm topic's policy admits the stage's alarms by this prefix.
        assert alarm["AlarmName"]["Fn::Sub"].startswith("adhesion-${Stage}-")
