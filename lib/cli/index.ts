export { deliveryOption, nonNegative, nonNegativeInt, percent, port, positiveInt } from "./args.ts";
