"""Adhesion: wiring only. Routes live in ``chalicelib/api``, logic in ``chalicelib/services``."""

from chalice import Chalice, Rate

from chalicelib.api import auth, cors, membership_requests, meta, organizations, preferences
from chalicelib.api.http import normalize_errors
from chalicelib.bootstrap import container
from chalicelib.config import get_settings
from chalicelib.scheduled import run_pass
from chalicelib.stream import process_records

# Chalice's own records (a view that crashed) go to Lambda's handler like the others: one
# JSON object each, addresses redacted (chalicelib/observability.py), not Chalice's text.
app = Chalice(app_name="adhesion", configure_logs=False)
app.register_middleware(normalize_errors, "http")
app.register_middleware(cors.middleware(lambda: container().cors), "http")
app.register_blueprint(auth.bp)
app.register_blueprint(meta.bp)
app.register_blueprint(organizations.bp)
app.register_blueprint(membership_requests.bp)
app.register_blueprint(preferences.bp)
# After every blueprint: a preflight route for each of their paths.
cors.add_preflights(app, lambda: container().cors)


@app.on_dynamodb_record(
    stream_arn=get_settings().stream_arn, batch_size=100, starting_position="TRIM_HORIZON", name="notify"
)
def notify(event):
    return process_records(event, container().notifier)


# Reminders, expiry and notices due (chalicelib/services/schedule.py); a pass costs what is
# due, so running often costs little and keeps reminders close to their moment.
@app.schedule(Rate(15, unit=Rate.MINUTES), name="schedule")
def schedule(event):
    return run_pass(event, container().schedule, container().clock)
