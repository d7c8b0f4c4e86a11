"""Make a workspace API token for automation, and print it alone on the last line.

    python manage.py api_token create --workspace ID --user USERNAME --name NAME \
        [--scope read|write]

The user must be an owner of the workspace; the token acts as them, in that workspace only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from studio import services
from studio.models import ApiToken, Workspace


class Command(BaseCommand):
    help = "Make a workspace API token (printed once, on the last line)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="make a token")
        create.add_argument("--workspace", type=int, required=True, help="the workspace's id")
        create.add_argument("--user", required=True, help="an owner's username")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.WRITE)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"There is no workspace {options['workspace']}.")
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"There is no user {options['user']!r}.")
        try:
            token, raw = services.api_tokens.api_token_create(
                workspace=workspace, user=user, name=options["name"], scope=options["scope"]
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(
            f"Token {token.name!r} ({token.scope}) for {workspace.name}; it is shown only now:"
        )
        self.stdout.write(raw)
