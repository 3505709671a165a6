import express, { type RequestHandler } from 'express';
import { checkJsonShape, DEFAULT_JSON_LIMITS, type JsonLimits } from '../common/json-shape';

/** A JSON body of at most `limit`, checked against `limits` before any route reads it. */
export function jsonBody(limit: string | number, limits: JsonLimits = DEFAULT_JSON_LIMITS): RequestHandler {
  const parse = express.json({ limit, type: ['application/json', 'application/*+json'] });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      try {
        if (req.body !== undefined) checkJsonShape(req.body, limits);
        next();
      } catch (shapeErr) {
        next(shapeErr);
      }
    });
  };
}
