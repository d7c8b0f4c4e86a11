from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0013_talking_head_template"),
    ]

    operations = [
        migrations.AddField(
            model_name="template",
            name="voice",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="template",
            name="speed",
            field=models.FloatField(default=1.0),
        ),
    ]
