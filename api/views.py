"""The REST API (SPEC §9): thin views over ``stations.selectors`` (every read, scoped) and
``stations.services`` (every write). No rule and no tenant scope is written here.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from stations import csv_import, services, throttling
from stations.choices import ImportSource
from stations.client_address import client_address
from stations.models import ConnectorSpec, Station
from stations.results import REFUSED
from stations.selectors import (
    import_records_visible_to,
    station_by_station_id,
    stations_activated_by,
    stations_visible_to,
    tenant_of,
)
from stations.views import NO_TENANT_MESSAGE
from stations.views.upload import _UploadLimit

from . import ocpi
from .errors import domain_error_response, error_body
from .serializers import (
    ActivationInSerializer,
    ActivationSerializer,
    ErrorSerializer,
    ImportRecordDetailSerializer,
    ImportRecordSerializer,
    ImportResultSerializer,
    StationInSerializer,
    StationListQuerySerializer,
    StationSerializer,
    row_error_data,
)

_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="No token, or a token that is not valid."),
    403: OpenApiResponse(ErrorSerializer, description="The token's account lacks the permission."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests with this token."),
}
_NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="No such station visible to you.")}
_INVALID = {400: OpenApiResponse(ErrorSerializer, description="Refused, with every error by field path.")}
_ACTIVE = {409: OpenApiResponse(ErrorSerializer, description="The station is active (`station_active`).")}
_OCPI_UID = {
    422: OpenApiResponse(
        ErrorSerializer,
        description="`ocpi_uid_too_long`: `<station_id>-<position>` exceeds OCPI's 36 characters.",
    )
}


def _tenant_or_403(user):
    """The tenant to write into; support staff have none, as on the wizard and the upload page."""
    tenant = tenant_of(user)
    if tenant is None:
        raise DjangoPermissionDenied(NO_TENANT_MESSAGE)
    return tenant


def _station_status(error: ValidationError) -> int:
    return status.HTTP_409_CONFLICT if getattr(error, "code", None) == "station_active" else 400


class _CursorPagination(CursorPagination):
    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A forged cursor's position is a text compared in SQL, where PostgreSQL cannot take a NUL.
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise NotFound(self.invalid_cursor_message)
        return cursor


class StationCursorPagination(_CursorPagination):
    # The Station ID never changes once imported (an override keeps its spelling) and is unique.
    ordering = "station_id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(
        summary="List stations",
        description="The stations visible to the token's account, by Station ID, 100 a page (cursor).",
        parameters=[StationListQuerySerializer],
        responses={200: StationSerializer(many=True), **_INVALID, **_ERRORS},
    ),
    retrieve=extend_schema(
        summary="Get a station",
        description="One station by its Station ID, in any case, with its connectors in order.",
        responses={200: StationSerializer, **_NOT_FOUND, **_ERRORS},
    ),
    create=extend_schema(
        summary="Create a station",
        description=(
            "Import one station with its ordered connector specifications (the first is connector 1), "
            "with the wizard's rules and errors. The station is inactive until activated."
        ),
        request=StationInSerializer,
        responses={201: StationSerializer, **_INVALID, **_ERRORS},
    ),
    update=extend_schema(
        summary="Replace an inactive station",
        description=(
            "Replace the details and connector specifications of an inactive station, as a CSV "
            "override does; the Station ID keeps its stored spelling. An active station is refused (409)."
        ),
        request=StationInSerializer,
        responses={200: StationSerializer, **_INVALID, **_NOT_FOUND, **_ACTIVE, **_ERRORS},
    ),
    destroy=extend_schema(
        summary="Delete an inactive station",
        description="Delete an inactive station with its connector specifications; an active one is refused.",
        responses={204: None, **_NOT_FOUND, **_ACTIVE, **_ERRORS},
    ),
)
class StationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = StationSerializer
    pagination_class = StationCursorPagination
    lookup_field = "station_id"
    # Station IDs may hold . : + | @ * = (OCPP identifierString); only a slash cannot occur.
    lookup_value_regex = r"[^/]+"
    required_permissions = {
        "GET": ["stations.view_station"],
        "POST": ["stations.add_station"],
        "PUT": ["stations.change_station"],
        "DELETE": ["stations.delete_station"],
    }

    def get_queryset(self):
        return stations_visible_to(self.request.user).prefetch_related(
            Prefetch("connector_specs", queryset=ConnectorSpec.objects.order_by("position"))
        )

    def get_object(self):
        station = station_by_station_id(self.kwargs["station_id"], self.get_queryset())
        if station is None:
            raise Http404
        return station

    def filter_queryset(self, queryset):
        query = StationListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        if "status" in query.validated_data:
            queryset = queryset.filter(status=query.validated_data["status"])
        if "updated_since" in query.validated_data:
            queryset = queryset.filter(updated_at__gte=query.validated_data["updated_since"])
        return queryset

    def _read_back(self, station: Station, status_code: int) -> Response:
        station = self.get_queryset().get(pk=station.pk)
        return Response(StationSerializer(station).data, status=status_code)

    def create(self, request, *args, **kwargs):
        tenant = _tenant_or_403(request.user)
        body = StationInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            station = services.station_import(
                tenant=tenant,
                user=request.user,
                station_data=body.station_data(),
                specs=body.specs(),
                source=ImportSource.API,
            )
        except ValidationError as error:
            return domain_error_response(error)
        response = self._read_back(station, status.HTTP_201_CREATED)
        response["Location"] = reverse("api:station-detail", kwargs={"station_id": station.station_id})
        return response

    def update(self, request, *args, **kwargs):
        station = self.get_object()
        body = StationInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        given = body.validated_data.get("station_id", "").strip()
        if given and given.lower() != station.station_id.lower():
            return Response(
                error_body(
                    "station_id_mismatch",
                    "The Station ID in the body differs from the one in the URL; a Station ID cannot "
                    "be changed (leave it out, or send the same one).",
                    [
                        {
                            "field": "station_id",
                            "code": "station_id_mismatch",
                            "message": "Differs from the URL.",
                        }
                    ],
                ),
                status=400,
            )
        try:
            station = services.station_replace(
                tenant=station.tenant,
                user=request.user,
                station=station,
                station_data=body.station_data(),
                specs=body.specs(),
                source=ImportSource.API,
            )
        except Station.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            return domain_error_response(error, _station_status(error))
        return self._read_back(station, status.HTTP_200_OK)

    def perform_destroy(self, instance):
        services.station_delete(station=instance)

    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except Station.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            return domain_error_response(error, _station_status(error))

    @extend_schema(
        summary="OCPI EVSEs of a station",
        description=(
            "The station's connector specifications as OCPI 2.2.1 EVSE objects: one EVSE per "
            "specification (OCPI's advice for OCPP 1.x stations), uid `<station_id>-<position>`, each "
            "with one Connector whose id is the position. Status UNKNOWN while inactive, AVAILABLE once "
            "activated. Not paginated (a station has at most 64 specifications). `max_electric_power` is "
            "the connector's maximum power where given, else voltage × amperage (× 3 for three-phase AC). "
            "OCPI limits a uid to 36 characters: a station whose uid would be longer (a Station ID of "
            "more than 33 characters) is refused with 422 `ocpi_uid_too_long`."
        ),
        responses={200: ocpi.OcpiEvseSerializer(many=True), **_NOT_FOUND, **_OCPI_UID, **_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="ocpi/evses", url_name="ocpi-evses", pagination_class=None)
    def ocpi_evses(self, request, *args, **kwargs):
        try:
            return Response(ocpi.station_evses(self.get_object()))
        except ValidationError as error:
            return domain_error_response(error, status.HTTP_422_UNPROCESSABLE_ENTITY)


class ImportCursorPagination(_CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class RawFileParser(parsers.BaseParser):
    """A file sent as the request body itself (``--data-binary @stations.csv``), any content type."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        # Read one byte past the limit only: a larger body is refused without being held in memory.
        return {"raw": stream.read(csv_import.max_upload_bytes() + 1) if stream is not None else b""}


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@extend_schema_view(
    list=extend_schema(
        summary="List import records",
        description="Every import attempt visible to you (wizard, upload, command, API), newest first.",
        responses={200: ImportRecordSerializer(many=True), **_ERRORS},
    ),
    retrieve=extend_schema(
        summary="Get an import record",
        description="One import attempt with its full error list.",
        responses={
            200: ImportRecordDetailSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No such record visible to you."),
            **_ERRORS,
        },
    ),
)
class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pagination_class = ImportCursorPagination
    parser_classes = [parsers.MultiPartParser, RawFileParser]
    required_permissions = {"GET": ["stations.view_station"], "POST": ["stations.add_station"]}

    def get_queryset(self):
        return import_records_visible_to(self.request.user).select_related("user")

    def get_serializer_class(self):
        return ImportRecordDetailSerializer if self.action == "retrieve" else ImportRecordSerializer

    @extend_schema(
        summary="Import a CSV file or a workbook",
        description=(
            "The upload of the upload page: a semicolon CSV or a workbook (.xlsx or .ods, its first "
            "sheet), as multipart field `file` or as the raw request body. All or nothing; "
            "`dry_run=true` checks and writes nothing. Answers what the page shows: counts, warnings "
            "and every error (row, column, cell, code, message, value); 201 when imported, 200 for a "
            "successful check, 422 when refused."
        ),
        parameters=[
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Check only: write nothing."),
            OpenApiParameter("file_name", OpenApiTypes.STR, description="Name for the record (raw body)."),
        ],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "dry_run": {"type": "boolean"},
                },
                "required": ["file"],
            },
            "text/csv": {"type": "string", "format": "binary"},
            "application/octet-stream": {"type": "string", "format": "binary"},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "type": "string",
                "format": "binary",
            },
            "application/vnd.oasis.opendocument.spreadsheet": {"type": "string", "format": "binary"},
        },
        responses={
            200: ImportResultSerializer,
            201: ImportResultSerializer,
            422: ImportResultSerializer,
            **_INVALID,
            **_ERRORS,
        },
    )
    def create(self, request, *args, **kwargs):
        tenant = _tenant_or_403(request.user)
        multipart = request.content_type.startswith("multipart/")
        guard = None
        if multipart:
            # The upload page's guard: stop storing a file once it passes the limit. It must be in place
            # before anything reads the body (the dry_run field below does).
            guard = _UploadLimit(request._request, csv_import.max_upload_bytes())
            request._request.upload_handlers.insert(0, guard)
        dry_run = self._dry_run(request)
        if guard is not None and guard.exceeded_size:
            file_name = guard.name
            plan = csv_import.size_refusal(guard.exceeded_size)
        elif multipart:
            upload = request.FILES.get("file")
            if upload is None:
                return Response(
                    error_body(
                        "no_file",
                        "Send the file in the multipart field “file”, or as the request body.",
                        [{"field": "file", "code": "required", "message": "No file was sent."}],
                    ),
                    status=400,
                )
            file_name = upload.name
            plan = csv_import.size_refusal(upload.size) or csv_import.parse(upload.read(), tenant=tenant)
        else:
            data = request.data.get("raw", b"")
            file_name = request.query_params.get("file_name", "")
            try:
                announced = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                announced = 0  # as Django reads a bad Content-Length (and so the body: empty)
            size = max(len(data), announced)
            plan = csv_import.size_refusal(size) or csv_import.parse(data, tenant=tenant)
        result = services.stations_import(
            tenant=tenant,
            user=request.user,
            plan=plan,
            source=ImportSource.API,
            file_name=file_name,
            dry_run=dry_run,
        )
        code = status.HTTP_422_UNPROCESSABLE_ENTITY
        if result.ok:
            code = status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED
        return Response(self._result(result, file_name), status=code)

    @staticmethod
    def _dry_run(request) -> bool:
        raw = request.query_params.get("dry_run")
        if raw is None and request.content_type.startswith("multipart/"):
            raw = request.data.get("dry_run")
        value = (raw or "").strip().lower()
        if value not in _TRUE | _FALSE:
            raise ValidationError(
                "dry_run is true or false (also 1/0, yes/no).", code="invalid_dry_run", params={}
            )
        return value in _TRUE

    @staticmethod
    def _result(result, file_name: str) -> dict:
        plan = result.plan
        return {
            "code": None if result.ok else "import_refused",
            "ok": result.ok,
            "dry_run": result.dry_run,
            "import_record": result.record.pk,
            "file_name": file_name,
            "encoding": plan.encoding,
            "encoding_note": plan.encoding_note,
            "row_count": plan.row_count,
            "stations_created": result.stations_created,
            "stations_overridden": result.stations_overridden,
            "stations_refused": sum(s.action == REFUSED for s in plan.stations),
            "connector_specs": result.connector_specs,
            "warnings": [row_error_data(w) for w in result.warnings],
            "errors": [row_error_data(e) for e in result.errors],
            "stations": [
                {"station_id": s.existing_station_id or s.station_id, "action": s.action, "rows": s.rows}
                for s in plan.stations
            ],
        }


class ActivationView(APIView):
    """Activate a station with its Station ID and security code (SPEC §6)."""

    required_permissions = {"POST": []}

    @extend_schema(
        summary="Activate a station",
        description=(
            "The activation of the Activate page: the station becomes active and owned by the token's "
            "account. An unknown Station ID and a wrong code get the same answer (400 "
            "`activation_mismatch`); failed attempts are limited per Station ID and per client address "
            "(429 `too_many_attempts`, with Retry-After); an active station answers 409 `already_activated`."
        ),
        request=ActivationInSerializer,
        responses={
            200: ActivationSerializer,
            400: OpenApiResponse(ErrorSerializer, description="`activation_mismatch`, or a missing field."),
            409: OpenApiResponse(ErrorSerializer, description="`already_activated`."),
            **_ERRORS,
        },
    )
    def post(self, request):
        body = ActivationInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        now = timezone.now()
        try:
            station = services.station_activate(
                user=request.user,
                station_id=body.validated_data["station_id"],
                security_code=body.validated_data["security_code"],
                client_address=client_address(request),
                now=now,
            )
        except ValidationError as error:
            if error.code == "too_many_attempts":
                response = domain_error_response(error, status.HTTP_429_TOO_MANY_REQUESTS)
                response["Retry-After"] = str(throttling.seconds_left_in_window(now))
                return response
            return domain_error_response(error, 409 if error.code == "already_activated" else 400)
        station = (
            stations_activated_by(request.user)
            .prefetch_related(
                Prefetch("connector_specs", queryset=ConnectorSpec.objects.order_by("position"))
            )
            .get(pk=station.pk)
        )
        return Response(ActivationSerializer(station).data)
