# Packaging and deployment targets (issue 4). Included by the Makefile.
#
#   make package STAGE=dev|prod    the application packaged for the stage into build/<stage>/
#                                  (chalice package, infra/app-merge.yaml merged in)
#   make deploy STAGE=... ARTIFACT_BUCKET=... CONFIRM=yes
#                                  the stateful stack, then the application stack, then
#                                  the web console (web/ built, published by infra/console.py)
#   make deploy STAGE=...          without CONFIRM=yes: prints the commands, runs none
#   make smoke STAGE=...           calls the deployed API (public route, refused route)
#   make infra-check               cfn-lint, checkov, policies, rehearsal on moto (tests/infra)
#   make infra-tools               builds checkov's own virtualenv (.local/checkov-venv)
#
# docs/deploy.md is the operator's guide to these commands. Optional: ALERT_EMAIL=...
# (subscribed to the alarms), CREATE_USER_POOL=false with EXTERNAL_ISSUER=... and
# EXTERNAL_AUDIENCES=... (an external OpenID Connect provider instead of Cognito, and
# then no web console), CONSOLE_CERTIFICATE_ARN=... (the console served at the domain of
# the stage's FRONTEND_BASE_URL, with this us-east-1 ACM certificate).

.PHONY: package deploy smoke infra-check infra-tools

AWS ?= aws
STAGE ?=
DATA_STACK = adhesion-$(STAGE)-data
APP_STACK = adhesion-$(STAGE)
BUILD_DIR = build/$(STAGE)
TAGS = app=adhesion stage=$(STAGE)
# The stage's sending domain, read from MAIL_SENDER in .chalice/config.json.
MAIL_DOMAIN = $(shell $(PYTHON) -m infra.stages mail-domain $(STAGE))
# The web console's origin: the stage's FRONTEND_BASE_URL, which the emails link to.
CONSOLE_ORIGIN = $(shell $(PYTHON) -m infra.stages console-origin $(STAGE))
CONSOLE_DIR = web
BUCKET = $(or $(ARTIFACT_BUCKET),<ARTIFACT_BUCKET>)
# Each deployed application template is kept under its commit: rolling back is
# deploying an earlier one again (docs/deploy.md, "Rollback").
RELEASE = $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unversioned)

# Parameters left out keep their current value on an update.
DATA_PARAMETERS = Stage=$(STAGE) MailDomain=$(MAIL_DOMAIN) \
	$(if $(ALERT_EMAIL),AlertEmail=$(ALERT_EMAIL)) \
	$(if $(CREATE_USER_POOL),CreateUserPool=$(CREATE_USER_POOL)) \
	$(if $(EXTERNAL_ISSUER),ExternalIssuer=$(EXTERNAL_ISSUER)) \
	$(if $(EXTERNAL_AUDIENCES),ExternalAudiences=$(EXTERNAL_AUDIENCES))

DEPLOY_DATA = $(AWS) cloudformation deploy --stack-name $(DATA_STACK) \
	--template-file infra/template.yaml --no-fail-on-empty-changeset \
	--parameter-overrides $(strip $(DATA_PARAMETERS)) --tags $(TAGS)
PROTECT_DATA = $(AWS) cloudformation update-termination-protection \
	--enable-termination-protection --stack-name $(DATA_STACK)
UPLOAD_APP = $(AWS) cloudformation package --template-file $(BUILD_DIR)/sam.yaml \
	--s3-bucket $(BUCKET) --s3-prefix adhesion/$(STAGE) \
	--output-template-file $(BUILD_DIR)/packaged.yaml
ARCHIVE_APP = $(AWS) s3 cp $(BUILD_DIR)/packaged.yaml \
	s3://$(BUCKET)/adhesion/$(STAGE)/releases/$(RELEASE)/packaged.yaml
APP_PARAMETERS = Stage=$(STAGE) ConsoleOrigin=$(CONSOLE_ORIGIN) \
	$(if $(CONSOLE_CERTIFICATE_ARN),ConsoleCertificateArn=$(CONSOLE_CERTIFICATE_ARN)) \
	$(if $(CREATE_USER_POOL),Console=$(CREATE_USER_POOL))

DEPLOY_APP = $(AWS) cloudformation deploy --stack-name $(APP_STACK) \
	--template-file $(BUILD_DIR)/packaged.yaml --no-fail-on-empty-changeset \
	--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
	--parameter-overrides $(strip $(APP_PARAMETERS)) --tags $(TAGS)
# Built before anything is deployed, so that a console that does not build stops the
# release; published last, from the stacks' outputs (infra/console.py).
BUILD_CONSOLE = cd $(CONSOLE_DIR) && npm ci && npm run build
PUBLISH_CONSOLE = $(BIN)/python -m infra.console publish $(STAGE) --dist $(CONSOLE_DIR)/dist

define require-stage
$(if $(filter $(STAGE),dev prod),,$(error STAGE must be dev or prod, e.g. make $@ STAGE=dev))
endef

package: $(STAMP) ## package the application for a stage into build/STAGE/ (STAGE=dev|prod)
	@$(require-stage)
	$(BIN)/python -m infra.package $(STAGE) $(BUILD_DIR)

deploy: ## the stateful stack, the application, then the web console (STAGE=, ARTIFACT_BUCKET=, CONFIRM=yes)
	@$(require-stage)
	@test -n "$(CONSOLE_ORIGIN)" || { echo "make deploy: fix FRONTEND_BASE_URL of stage $(STAGE) in .chalice/config.json (above)" >&2; exit 2; }
ifeq ($(CONFIRM),yes)
	@test -n "$(ARTIFACT_BUCKET)" || { echo "ARTIFACT_BUCKET=<an S3 bucket for the deployment packages> is required" >&2; exit 2; }
	$(MAKE) --no-print-directory package STAGE=$(STAGE)
	$(BIN)/cfn-lint infra/template.yaml $(BUILD_DIR)/sam.yaml
	$(BUILD_CONSOLE)
	$(DEPLOY_DATA)
	$(PROTECT_DATA)
	$(UPLOAD_APP)
	$(ARCHIVE_APP)
	$(DEPLOY_APP)
	$(PUBLISH_CONSOLE)
else
	@echo "make deploy STAGE=$(STAGE) would run, in this order:"
	@echo "  $(MAKE) package STAGE=$(STAGE)"
	@echo "  $(BIN)/cfn-lint infra/template.yaml $(BUILD_DIR)/sam.yaml"
	@echo "  $(BUILD_CONSOLE)"
	@echo "  $(DEPLOY_DATA)"
	@echo "  $(PROTECT_DATA)"
	@echo "  $(UPLOAD_APP)"
	@echo "  $(ARCHIVE_APP)"
	@echo "  $(DEPLOY_APP)"
	@echo "  $(PUBLISH_CONSOLE)"
	@echo "Refusing to deploy: nothing runs against AWS without CONFIRM=yes (see docs/deploy.md)." >&2
	@exit 1
endif

smoke: ## call a deployed stage's API: a public route, a refused one (STAGE=)
	@$(require-stage)
	@url=$$($(AWS) cloudformation describe-stacks --stack-name $(APP_STACK) \
		--query "Stacks[0].Outputs[?OutputKey=='EndpointURL'].OutputValue" --output text) && \
	echo "GET $${url}health" && curl -fsS "$${url}health" | grep -q '"status": *"ok"' && \
	echo "GET $${url}me/membership-requests without a token: expect 401 {\"code\": \"unauthorized\", ...}" && \
	test "$$(curl -sS -o /dev/null -w '%{http_code}' "$${url}me/membership-requests")" = 401 && \
	curl -sS "$${url}me/membership-requests" | grep -q '"code": *"unauthorized"' && \
	echo "smoke test passed"

infra-check: $(STAMP) ## cfn-lint, checkov, policies, rehearsal on moto (tests/infra)
	$(BIN)/python -m pytest tests/infra -q

infra-tools: ## build checkov's own virtualenv (.local/checkov-venv)
	$(PYTHON) -m infra.checkov --version
