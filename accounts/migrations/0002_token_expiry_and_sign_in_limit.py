"""API tokens expire; the login log marks attempts the sign-in limiter refused.

Tokens issued before this migration get an expiry of the migration's time plus
PHONGHOP_API_TOKEN_DAYS (30 by default): they keep working for that long, then need renewing.
"""

import datetime as dt

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def expire_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    days = getattr(settings, "PHONGHOP_API_TOKEN_DAYS", 30)
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=timezone.now() + dt.timedelta(days=days))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires"),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires"),
        ),
        migrations.AddField(
            model_name="loginrecord",
            name="throttled",
            field=models.BooleanField(default=False, verbose_name="refused: too many attempts"),
        ),
        migrations.AddIndex(
            model_name="loginrecord",
            index=models.Index(fields=["username", "ip", "at"], name="login_attempts"),
        ),
    ]
