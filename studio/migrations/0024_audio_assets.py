from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0023_storyboards"),
    ]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="kind",
            field=models.CharField(
                choices=[("image", "Image"), ("audio", "Audio")], default="image", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="asset",
            name="duration",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="asset",
            name="width",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="asset",
            name="height",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
    ]
