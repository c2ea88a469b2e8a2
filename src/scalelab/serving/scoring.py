"""Scoring requests for a replica, apart from HTTP: parse, check the limits, predict, answer.

MLflow's own scoring server does the parsing, so a replica takes the same bodies as
`mlflow models serve` (`dataframe_split`, `dataframe_records`, `instances`, `inputs`, optional
`params`, CSV, Parquet) with the same schema enforcement and the same `{"predictions": ...}`
answers. What this module adds: row limits, one-line error messages (never the data, never a
traceback), and adaptive batching: requests that queued up behind a busy model and hold
DataFrames of one shape are predicted in one call and the predictions split back per request.
Small requests cost more to parse than to predict, so `dataframe_split` bodies with the same
columns are even parsed in one call, where that is sure to give each row what parsing it alone
would.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import traceback
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from io import BytesIO, StringIO
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no stubs in the venv
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PyFuncModel
from mlflow.pyfunc import scoring_server as mlflow_scoring
from mlflow.types.schema import DataType, Schema

log = logging.getLogger(__name__)

JSON = "application/json"
CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"
DF_SPLIT = "dataframe_split"
MESSAGE_LIMIT = 400


@dataclass(frozen=True)
class Answer:
    """What a request gets back: an HTTP status and a JSON body."""

    status: int
    body: bytes


class RequestError(Exception):
    """A request that gets an error answer rather than predictions."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = one_line(message)

    def answer(self) -> Answer:
        return error_answer(self.status, self.error_code, self.message)


@dataclass
class Parsed:
    """A request's input as the model takes it."""

    data: Any
    params: dict[str, Any] | None
    unified: bool  # MLflow's unified LLM input: the answer is the bare predictions
    rows: int


def one_line(text: object, limit: int = MESSAGE_LIMIT) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def error_answer(status: int, error_code: str, message: str) -> Answer:
    body = json.dumps({"error_code": error_code, "message": one_line(message)})
    return Answer(status, body.encode())


def _mlflow_message(exc: MlflowException) -> str:
    """MLflow's message without the data it quotes or its note on the 2.0 protocol change."""
    message = str(exc.message).replace(mlflow_scoring.SCORING_PROTOCOL_CHANGE_INFO, "")
    if message.startswith("Failed to enforce schema of data") and ". Error: " in message:
        message = (
            "the input does not fit the model's signature: " + message.rsplit(". Error: ", 1)[1]
        )
    return message


def _from_mlflow(exc: MlflowException) -> RequestError:
    status = exc.get_http_status_code()
    if 400 <= status < 500:
        return RequestError(status, exc.error_code, _mlflow_message(exc))
    return RequestError(500, "INTERNAL_ERROR", f"the model failed: {_mlflow_message(exc)}")


def count_rows(data: Any) -> int:
    """Rows (or instances) in a parsed input, for the row limit."""
    if isinstance(data, pd.DataFrame | pd.Series | list | tuple):
        return len(data)
    if isinstance(data, np.ndarray):
        return int(data.shape[0]) if data.ndim else 1
    if isinstance(data, dict):
        return max((count_rows(value) for value in data.values()), default=1)
    shape = getattr(data, "shape", None)  # scipy matrices and the like
    if isinstance(shape, tuple) and shape:
        return int(shape[0])
    return 1


def batch_key(parsed: Parsed) -> Hashable | None:
    """Requests with equal keys may be predicted in one call; None: this one goes alone."""
    data = parsed.data
    if parsed.params or parsed.unified or not isinstance(data, pd.DataFrame):
        return None
    if not data.columns.is_unique or isinstance(data.columns, pd.MultiIndex):
        return None
    try:
        key = (tuple(data.columns), tuple(data.dtypes.tolist()))
        hash(key)
    except TypeError:
        return None
    return key


def split_predictions(raw: Any, counts: Sequence[int]) -> list[Any] | None:
    """Predictions for stacked inputs cut back per input, or None when they do not line up
    with the rows (then each input is predicted alone)."""
    total = sum(counts)
    if isinstance(raw, np.ndarray):
        if raw.ndim == 0 or raw.shape[0] != total:
            return None
    elif isinstance(raw, pd.DataFrame | pd.Series | list):
        if len(raw) != total:
            return None
    else:
        return None
    pieces: list[Any] = []
    start = 0
    for count in counts:
        end = start + count
        if isinstance(raw, pd.DataFrame | pd.Series):
            pieces.append(raw.iloc[start:end].reset_index(drop=True))
        else:
            pieces.append(raw[start:end])
        start = end
    return pieces


class Scorer:
    """One loaded model and the limits its requests must keep. Not thread safe: a replica
    calls it from its one prediction thread."""

    def __init__(self, model: PyFuncModel, max_rows: int) -> None:
        self.model = model
        self.max_rows = max_rows
        self.metadata = model.metadata
        self.input_schema = self.metadata.get_input_schema()
        self._takes_params = "params" in inspect.signature(model.predict).parameters
        self._merge_split = _rows_parse_alone(self.input_schema)

    # --- one request ---------------------------------------------------------------------

    def parse(self, body: bytes, mime: str) -> Parsed:
        """The request's input (RequestError 400 if it cannot be read, 413 if too many rows)."""
        if mime == JSON:
            return self.parse_document(self.decode(body))
        return self._checked(lambda: self._parse_table(body, mime))

    def decode(self, body: bytes) -> dict[str, Any]:
        """A JSON body as the dict MLflow's protocol wants (RequestError 400 if it is not)."""
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RequestError(400, "BAD_REQUEST", f"malformed JSON: {exc}") from None
        if not isinstance(document, dict):
            raise RequestError(
                400,
                "BAD_REQUEST",
                f"{mlflow_scoring.REQUIRED_INPUT_FORMAT}; got a JSON {type(document).__name__}",
            )
        return document

    def parse_document(self, document: dict[str, Any]) -> Parsed:
        return self._checked(lambda: self._parse_document(document))

    def _checked(self, parse: Callable[[], Parsed]) -> Parsed:
        try:
            parsed = parse()
        except RequestError:
            raise
        except MlflowException as exc:
            raise _from_mlflow(exc) from None
        except Exception as exc:  # pandas or numpy refusing the data: still the caller's input
            raise RequestError(400, "BAD_REQUEST", f"cannot read the input: {exc}") from None
        self.check_rows(parsed.rows)
        return parsed

    def check_rows(self, rows: int) -> None:
        if rows > self.max_rows:
            raise RequestError(
                413,
                "BAD_REQUEST",
                f"the request holds {rows} rows, more than the limit of "
                f"{self.max_rows} rows per request: split it into smaller requests",
            )

    def _parse_table(self, body: bytes, mime: str) -> Parsed:
        if mime == CSV:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RequestError(400, "BAD_REQUEST", f"the CSV is not UTF-8: {exc}") from None
            data = mlflow_scoring.parse_csv_input(StringIO(text), schema=self.input_schema)
        else:
            data = mlflow_scoring.parse_parquet_input(BytesIO(body))
        return Parsed(data, None, False, count_rows(data))

    def _parse_document(self, document: dict[str, Any]) -> Parsed:
        keys = sorted(document)
        try:
            result = mlflow_scoring._parse_json_data(document, self.metadata, self.input_schema)
        except MlflowException as exc:
            if mlflow_scoring.REQUIRED_INPUT_FORMAT not in str(exc.message):
                raise
            formats = ", ".join(sorted(mlflow_scoring.SUPPORTED_FORMATS))
            raise RequestError(
                400,
                "BAD_REQUEST",
                f"the JSON must hold exactly one of the keys {formats} (and optionally params); "
                f"it holds {', '.join(map(repr, keys)) or 'no keys'}",
            ) from None
        params = result.params
        if params is not None and not isinstance(params, dict):
            raise RequestError(400, "BAD_REQUEST", "'params' must be a JSON object")
        return Parsed(
            result.data, params, bool(result.is_unified_llm_input), count_rows(result.data)
        )

    def predict(self, data: Any, params: dict[str, Any] | None) -> Any:
        """The model's raw predictions (RequestError: 4xx when MLflow says the input is wrong,
        500 for anything else the model raises)."""
        try:
            if self._takes_params:
                return self.model.predict(data, params=params)
            return self.model.predict(data)
        except MlflowException as exc:
            raise _from_mlflow(exc) from None
        except Exception as exc:
            raise RequestError(
                500, "INTERNAL_ERROR", f"the model failed: {type(exc).__name__}: {exc}"
            ) from exc

    def answer(self, unified: bool, raw: Any) -> Answer:
        output = StringIO()
        try:
            if unified:
                mlflow_scoring.unwrapped_predictions_to_json(raw, output)
            else:
                mlflow_scoring.predictions_to_json(raw, output)
        except Exception as exc:
            raise RequestError(
                500,
                "INTERNAL_ERROR",
                f"the model's predictions cannot be sent as JSON: {type(exc).__name__}: {exc}",
            ) from exc
        return Answer(200, output.getvalue().encode())

    # --- requests that queued up together ------------------------------------------------

    def score_many(self, requests: Sequence[tuple[bytes, str]]) -> list[Answer]:
        """Answers in the order of `requests`.

        Inputs that fit together are predicted in one call: `dataframe_split` bodies with the
        same columns are joined before parsing (one parse instead of many: parsing costs more
        than predicting for small requests), other DataFrames with the same columns and dtypes
        after. A failed joined parse or predict falls back to each request alone, so every
        error reaches the request that caused it.
        """
        answers: list[Answer | None] = [None] * len(requests)
        splits: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
        frames: list[tuple[int, Parsed]] = []  # parsed inputs, to batch by columns and dtypes
        alone: list[tuple[int, Parsed]] = []  # parsed inputs to predict one by one
        for index, (body, mime) in enumerate(requests):
            try:
                if mime == JSON:
                    document = self.decode(body)
                    columns = self._split_columns(document) if len(requests) > 1 else None
                    if columns is not None:
                        self.check_rows(len(document[DF_SPLIT]["data"]))
                        splits.setdefault(columns, []).append((index, document))
                        continue
                    frames.append((index, self.parse_document(document)))
                else:
                    frames.append((index, self.parse(body, mime)))
            except RequestError as exc:
                _log_error(exc)
                answers[index] = exc.answer()
        for columns, documents in splits.items():
            indices = [index for index, _ in documents]
            counts = [len(document[DF_SPLIT]["data"]) for _, document in documents]
            frame: pd.DataFrame | None = None
            if len(documents) > 1:
                frame = self._parse_joined(columns, [document for _, document in documents])
            if frame is not None:
                batched = self._predict_stacked(frame, counts)
                if batched is not None:
                    for index, answer in zip(indices, batched, strict=True):
                        answers[index] = answer
                    continue
                for index, piece, count in zip(
                    indices, _slices(frame, counts), counts, strict=True
                ):
                    alone.append((index, Parsed(piece, None, False, count)))
                continue
            for index, document in documents:
                try:
                    frames.append((index, self.parse_document(document)))
                except RequestError as exc:
                    _log_error(exc)
                    answers[index] = exc.answer()
        self._predict_frames(frames, alone, answers)
        return [answer or error_answer(500, "INTERNAL_ERROR", "no answer") for answer in answers]

    def _split_columns(self, document: dict[str, Any]) -> tuple[str, ...] | None:
        """The columns of a `dataframe_split` body that may be joined with others, else None."""
        if not self._merge_split or len(document) != 1 or DF_SPLIT not in document:
            return None
        split = document[DF_SPLIT]
        if not isinstance(split, dict) or split.keys() != {"columns", "data"}:
            return None
        columns, data = split["columns"], split["data"]
        if not isinstance(data, list) or not data or not isinstance(columns, list):
            return None
        if not all(isinstance(column, str) for column in columns):
            return None
        return tuple(columns)

    def _parse_joined(
        self, columns: tuple[str, ...], documents: Sequence[dict[str, Any]]
    ) -> pd.DataFrame | None:
        """`dataframe_split` bodies parsed in one go, or None if that fails."""
        data = [row for document in documents for row in document[DF_SPLIT]["data"]]
        joined = {DF_SPLIT: {"columns": list(columns), "data": data}}
        try:
            frame = self._parse_document(joined).data
        except Exception:
            return None
        if not isinstance(frame, pd.DataFrame) or len(frame) != len(data):
            return None
        return frame

    def _predict_frames(
        self,
        frames: Sequence[tuple[int, Parsed]],
        alone: list[tuple[int, Parsed]],
        answers: list[Answer | None],
    ) -> None:
        groups: dict[Hashable, list[tuple[int, Parsed]]] = {}
        for index, parsed in frames:
            key = batch_key(parsed) if len(frames) > 1 else None
            if key is None:
                alone.append((index, parsed))
            else:
                groups.setdefault(key, []).append((index, parsed))
        for members in groups.values():
            batched = None
            if len(members) > 1:
                inputs = [parsed for _, parsed in members]
                with contextlib.suppress(Exception):
                    stacked = pd.concat([parsed.data for parsed in inputs], ignore_index=True)
                    batched = self._predict_stacked(stacked, [parsed.rows for parsed in inputs])
            if batched is None:
                alone.extend(members)
                continue
            for (index, _), answer in zip(members, batched, strict=True):
                answers[index] = answer
        for index, parsed in sorted(alone, key=lambda item: item[0]):
            answers[index] = self._answer_alone(parsed)

    def _predict_stacked(self, stacked: pd.DataFrame, counts: Sequence[int]) -> list[Answer] | None:
        """Answers for inputs stacked into one frame, or None if they must be predicted one by
        one (the predict failed, so the error goes to the request that caused it; or the
        predictions do not line up with the rows)."""
        try:
            pieces = split_predictions(self.predict(stacked, None), counts)
            if pieces is None:
                return None
            return [self.answer(False, piece) for piece in pieces]
        except Exception:
            return None

    def _answer_alone(self, parsed: Parsed) -> Answer:
        try:
            return self.answer(parsed.unified, self.predict(parsed.data, parsed.params))
        except RequestError as exc:
            _log_error(exc)
            return exc.answer()


def _slices(frame: pd.DataFrame, counts: Sequence[int]) -> list[pd.DataFrame]:
    pieces: list[pd.DataFrame] = []
    start = 0
    for count in counts:
        pieces.append(frame.iloc[start : start + count].reset_index(drop=True))
        start += count
    return pieces


_CAST_BY_VALUE = frozenset(
    [DataType.boolean, DataType.integer, DataType.long, DataType.float, DataType.double]
)


def _rows_parse_alone(schema: Schema | None) -> bool:
    """Whether parsing `dataframe_split` rows together gives each row what parsing it alone
    would: named columns of numbers and booleans, which MLflow casts to the declared type value
    by value. (Not strings, whose pandas dtype depends on the other values in the column; not
    datetimes, whose format pandas guesses from the first value; not tensors or `Any`.)"""
    if schema is None or schema.is_tensor_spec() or not schema.has_input_names():
        return False
    return all(kind in _CAST_BY_VALUE for kind in schema.input_types())


def describe(model: PyFuncModel, model_dir: str) -> dict[str, Any]:
    """What `/metadata` answers: the model's signature, and a body `/invocations` takes (the
    serving input example MLflow saved with the model), each None when the model has none."""
    signature = model.metadata.signature
    described: dict[str, Any] = {"signature": None, "input_example": None}
    if signature is not None:
        described["signature"] = {
            "inputs": signature.inputs.to_dict() if signature.inputs is not None else None,
            "outputs": signature.outputs.to_dict() if signature.outputs is not None else None,
            "params": signature.params.to_dict() if signature.params is not None else None,
        }
    try:
        example = model.metadata.get_serving_input(model_dir)
        if example is None and model.metadata.saved_input_example_info is not None:
            from mlflow.models.utils import convert_input_example_to_serving_input

            example = convert_input_example_to_serving_input(
                model.metadata.load_input_example(model_dir)
            )
        if example is not None:
            described["input_example"] = json.loads(example)
    except Exception as exc:  # a broken example must not keep the model from serving
        log.warning("the model's input example cannot be read: %s", one_line(exc))
    return described


def _log_error(exc: RequestError) -> None:
    """One line per failed request: model failures as warnings, bad input only when debugging."""
    if exc.status < 500:
        log.debug("%d %s", exc.status, exc.message)
        return
    where = ""
    cause = exc.__cause__
    if cause is not None and cause.__traceback__ is not None:
        frame = traceback.extract_tb(cause.__traceback__)[-1]
        where = f" (at {frame.filename}:{frame.lineno})"
    log.warning("%d %s%s", exc.status, exc.message, where)
