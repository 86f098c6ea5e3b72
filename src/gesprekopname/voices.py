"""Two voices told apart by their sound, for the roles: per word, timbre (12 cepstral coefficients) and pitch,
clustered into two voices. numpy and scipy only, no downloaded model; nothing about a voice is stored."""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.fft import dct

from gesprekopname.asr import SAMPLE_RATE

_WIN, _PITCH_WIN, _HOP = 400, 640, 160  # 25 ms for timbre, 40 ms to hold two periods of a low voice, 10 ms
_PITCH_WEIGHT = 2.0  # pitch tells two voices apart better than any one cepstral coefficient
_MIN_VOICE_SHARE = 0.05  # a "second voice" with fewer words than this is noise, not a speaker
_MAX_VOICE = 4.0  # cap per word, so one odd word cannot outvote its neighbours
_MIN_WORDS = 10  # below this two clusters say nothing; the text decides


@cache
def _mel_bank(n_fft: int = 512, n_mels: int = 26) -> np.ndarray:
    """Triangular mel filters, 60-7000 Hz, as an (n_fft // 2 + 1, n_mels) matrix."""
    mel = np.linspace(2595 * np.log10(1 + 60 / 700), 2595 * np.log10(1 + 7000 / 700), n_mels + 2)
    edges = 700 * (10 ** (mel / 2595) - 1)
    freqs = np.fft.rfftfreq(n_fft, 1 / SAMPLE_RATE)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    return np.clip(np.minimum(rising, falling), 0, None).T


def _word_voice(samples: np.ndarray) -> np.ndarray:
    """12 cepstral coefficients (timbre) and the log pitch of one word; pitch NaN when nothing is voiced."""
    samples = np.pad(samples, (0, max(0, _PITCH_WIN - len(samples))))
    frames = np.lib.stride_tricks.sliding_window_view(samples, _PITCH_WIN)[::_HOP]
    energy = (frames**2).mean(axis=1)
    frames = frames[energy >= 0.1 * energy.max()]  # the loud part of the word: speech, not the gap
    spec = np.abs(np.fft.rfft(frames[:, :_WIN] * np.hanning(_WIN), 512)) ** 2
    cepstrum = dct(np.log(spec @ _mel_bank() + 1e-9), norm="ortho", axis=1)[:, 1:13].mean(axis=0)
    acf = np.fft.irfft(np.abs(np.fft.rfft(frames * np.hanning(_PITCH_WIN), 2 * _PITCH_WIN)) ** 2)
    lo, hi = SAMPLE_RATE // 400, SAMPLE_RATE // 60  # 60-400 Hz covers men, women and children
    lags = lo + np.argmax(acf[:, lo:hi], axis=1)
    voiced = acf[np.arange(len(lags)), lags] > 0.3 * acf[:, 0]
    pitch = np.median(np.log(SAMPLE_RATE / lags[voiced])) if voiced.any() else np.nan
    return np.append(cepstrum, pitch)


def voice_evidence(audio: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """Per span, log-odds that it is voice 0 rather than voice 1, from a two-means clustering of
    standardised voice features; zeros when the sound shows only one voice. Nothing is stored."""
    if len(spans) < _MIN_WORDS:
        return np.zeros(len(spans))
    feats = np.array([_word_voice(audio[int(a * SAMPLE_RATE) : max(int(b * SAMPLE_RATE), int(a * SAMPLE_RATE) + 1)])
                      for a, b in spans])
    pitch = feats[:, -1]
    pitch[np.isnan(pitch)] = np.nanmedian(pitch) if np.isfinite(pitch).any() else 0.0
    z = (feats - feats.mean(axis=0)) / (feats.std(axis=0) + 1e-9)
    z[:, -1] *= _PITCH_WEIGHT
    centres = _two_means(z)
    dist = ((z[:, None, :] - centres[None]) ** 2).sum(axis=2)
    labels = dist.argmin(axis=1)
    if min(np.bincount(labels, minlength=2)) < _MIN_VOICE_SHARE * len(z):
        return np.zeros(len(z))
    return np.clip((dist[:, 1] - dist[:, 0]) / 2, -_MAX_VOICE, _MAX_VOICE)


def _two_means(z: np.ndarray, rounds: int = 30) -> np.ndarray:
    """k-means with k=2, started from a split along the main axis so it is deterministic."""
    axis = np.linalg.svd(z - z.mean(axis=0), full_matrices=False)[2][0]
    side = z @ axis > np.median(z @ axis)
    centres = np.stack([z[~side].mean(axis=0), z[side].mean(axis=0)])
    for _ in range(rounds):
        labels = ((z[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        if min(np.bincount(labels, minlength=2)) == 0:
            break
        centres = np.stack([z[labels == k].mean(axis=0) for k in (0, 1)])
    return centres
