import { describe, expect, it } from "vitest";
import { envBool } from "./env.ts";

describe("envBool", () => {
  it("reads the usual spellings of true and false, in any case", () => {
    for (const v of ["1", "true", "TRUE", "yes", "On", " true "]) expect(envBool({ F: v }, "F")).toBe(true);
    for (const v of ["0", "false", "False", "no", "OFF", " 0"]) expect(envBool({ F: v }, "F")).toBe(false);
  });

  it("leaves an unset or empty variable to the caller's default", () => {
    expect(envBool({}, "F")).toBeUndefined();
    expect(envBool({ F: "" }, "F")).toBeUndefined();
    expect(envBool({ F: "  " }, "F")).toBeUndefined();
  });

  it("refuses anything else, naming the variable and what to write", () => {
    expect(() => envBool({ VERDICT_X: "ture" }, "VERDICT_X")).toThrow(
      /VERDICT_X=ture is not a boolean: use true or false/,
    );
    expect(() => envBool({ F: "2" }, "F")).toThrow(/F=2 is not a boolean/);
  });
});
