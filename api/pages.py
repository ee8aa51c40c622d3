"""The API tokens page (``api:tokens``): a signed-in user creates, lists and revokes their own tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .forms import ApiTokenCreateForm
from .models import ApiToken
from .tokens import api_token_create, api_token_revoke


def _own_tokens(user):
    # The owner's tokens only: another user's token is a 404 here, whoever asks.
    return ApiToken.objects.filter(user=user)


@login_required
def tokens(request):
    """The list and the create form; a created token is shown on the answer to its POST, once."""
    created = None
    form = ApiTokenCreateForm()
    status = 200
    if request.method == "POST":
        form = ApiTokenCreateForm(request.POST)
        if form.is_valid():
            record, token = api_token_create(user=request.user, name=form.cleaned_data["name"])
            created = {"record": record, "token": token}
            form = ApiTokenCreateForm()
        else:
            status = 400
    response = render(
        request,
        "api/tokens.html",
        {"form": form, "created": created, "tokens": _own_tokens(request.user)},
        status=status,
    )
    # The page may hold a token in the clear: never keep it in a cache or the browser's history store.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(_own_tokens(request.user), pk=pk, revoked_at__isnull=True)
    api_token_revoke(token=token)
    messages.success(
        request, f"API token “{token.name}” is revoked: requests with it are refused from now on."
    )
    return redirect("api:tokens")
