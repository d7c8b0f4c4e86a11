from django.db import migrations

NAME = "Talking-head sales intro"
NOW = "One of your avatars greets each prospect by name and says who you are, with your call to action."
BEFORE = "A presenter greets each prospect by name. Needs a talking-head engine."


def describe(apps, schema_editor, text=NOW):
    Template = apps.get_model("studio", "Template")
    Template.objects.filter(workspace=None, name=NAME).update(description=text)


def undescribe(apps, schema_editor):
    describe(apps, schema_editor, text=BEFORE)


class Migration(migrations.Migration):
    dependencies = [("studio", "0012_job_preset")]
    operations = [migrations.RunPython(describe, undescribe)]
