from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0028_styles_and_boards"),
    ]

    operations = [
        migrations.AddField(
            model_name="video",
            name="has_sound",
            field=models.BooleanField(default=False),
        ),
    ]
