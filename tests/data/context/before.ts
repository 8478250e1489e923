import { x } from './drop.js';

function unrelatedBefore(x) { // drop
  x = x + 0; // drop
  x = x + 1; // drop
  x = x + 2; // drop
  x = x + 3; // drop
  x = x + 4; // drop
  x = x + 5; // drop
  x = x + 6; // drop
  x = x + 7; // drop
  x = x + 8; // drop
  x = x + 9; // drop
  x = x + 10; // drop
  x = x + 11; // drop
  x = x + 12; // drop
  x = x + 13; // drop
  x = x + 14; // drop
  x = x + 15; // drop
  x = x + 16; // drop
  x = x + 17; // drop
  x = x + 18; // drop
  x = x + 19; // drop
  x = x + 20; // drop
  x = x + 21; // drop
  x = x + 22; // drop
  x = x + 23; // drop
  x = x + 24; // drop
  x = x + 25; // drop
  x = x + 26; // drop
  x = x + 27; // drop
  x = x + 28; // drop
  x = x + 29; // drop
  x = x + 30; // drop
  x = x + 31; // drop
  x = x + 32; // drop
  x = x + 33; // drop
  x = x + 34; // drop
  x = x + 35; // drop
  x = x + 36; // drop
  x = x + 37; // drop
  x = x + 38; // drop
  x = x + 39; // drop
  x = x + 40; // drop
  x = x + 41; // drop
  x = x + 42; // drop
  x = x + 43; // drop
  x = x + 44; // drop
  x = x + 45; // drop
  x = x + 46; // drop
  x = x + 47; // drop
  x = x + 48; // drop
  x = x + 49; // drop
  x = x + 50; // drop
  x = x + 51; // drop
  x = x + 52; // drop
  x = x + 53; // drop
  x = x + 54; // drop
  x = x + 55; // drop
  x = x + 56; // drop
  x = x + 57; // drop
  x = x + 58; // drop
  x = x + 59; // drop
  return x; // drop
} // drop

@Component({ selector: 'keep' })
export class Widget extends Base { // keep
  dropSize = 3;
  other() { return this.dropSize; } // drop

  /** The long one: keep */
  longMethod(keep0: number): number { // keep
    const keep1: number = compute(keep0);
    const keep2: number = compute(keep1);
    const keep3: number = compute(keep2);
    const keep4: number = compute(keep3);
    const keep5: number = compute(keep4);
    const keep6: number = compute(keep5);
    const keep7: number = compute(keep6);
    const keep8: number = compute(keep7);
    const keep9: number = compute(keep8);
    const keep10: number = compute(keep9);
    const keep11: number = compute(keep10);
    const keep12: number = compute(keep11);
    const keep13: number = compute(keep12);
    const keep14: number = compute(keep13);
    const keep15: number = compute(keep14);
    const keep16: number = compute(keep15);
    const keep17: number = compute(keep16);
    const keep18: number = compute(keep17);
    const keep19: number = compute(keep18);
    const keep20: number = compute(keep19);
    const keep21: number = compute(keep20);
    const keep22: number = compute(keep21);
    const keep23: number = compute(keep22);
    const keep24: number = compute(keep23);
    const keep25: number = compute(keep24);
    const keep26: number = compute(keep25);
    const keep27: number = compute(keep26);
    const keep28: number = compute(keep27);
    const keep29: number = compute(keep28);
    const keep30: number = compute(keep29);
    const keep31: number = compute(keep30);
    const keep32: number = compute(keep31);
    const keep33: number = compute(keep32);
    const keep34: number = compute(keep33);
    const keep35: number = compute(keep34);
    const keep36: number = compute(keep35);
    const keep37: number = compute(keep36);
    const keep38: number = compute(keep37);
    const keep39: number = compute(keep38);
    const keep40: number = compute(keep39);
    const keep41: number = compute(keep40);
    const keep42: number = compute(keep41);
    const keep43: number = compute(keep42);
    const keep44: number = compute(keep43);
    const keep45: number = compute(keep44);
    const keep46: number = compute(keep45);
    const keep47: number = compute(keep46);
    const keep48: number = compute(keep47);
    const keep49: number = compute(keep48);
    const keep50: number = compute(keep49);
    return keep50; // keep
  } // keep

  after() { // drop
    this.drop0 = 0;
    this.drop1 = 1;
    this.drop2 = 2;
    this.drop3 = 3;
    this.drop4 = 4;
    this.drop5 = 5;
    this.drop6 = 6;
    this.drop7 = 7;
    this.drop8 = 8;
    this.drop9 = 9;
    this.drop10 = 10;
    this.drop11 = 11;
    this.drop12 = 12;
    this.drop13 = 13;
    this.drop14 = 14;
    this.drop15 = 15;
    this.drop16 = 16;
    this.drop17 = 17;
    this.drop18 = 18;
    this.drop19 = 19;
    this.drop20 = 20;
    this.drop21 = 21;
    this.drop22 = 22;
    this.drop23 = 23;
    this.drop24 = 24;
    this.drop25 = 25;
    this.drop26 = 26;
    this.drop27 = 27;
    this.drop28 = 28;
    this.drop29 = 29;
    this.drop30 = 30;
    this.drop31 = 31;
    this.drop32 = 32;
    this.drop33 = 33;
    this.drop34 = 34;
    this.drop35 = 35;
    this.drop36 = 36;
    this.drop37 = 37;
    this.drop38 = 38;
    this.drop39 = 39;
    this.drop40 = 40;
    this.drop41 = 41;
    this.drop42 = 42;
    this.drop43 = 43;
    this.drop44 = 44;
    this.drop45 = 45;
    this.drop46 = 46;
    this.drop47 = 47;
    this.drop48 = 48;
    this.drop49 = 49;
    this.drop50 = 50;
    this.drop51 = 51;
    this.drop52 = 52;
    this.drop53 = 53;
    this.drop54 = 54;
    this.drop55 = 55;
    this.drop56 = 56;
    this.drop57 = 57;
    this.drop58 = 58;
    this.drop59 = 59;
  } // drop
} // drop

const unrelatedAfter = () => { // drop
  console.log('drop 0');
  console.log('drop 1');
  console.log('drop 2');
  console.log('drop 3');
  console.log('drop 4');
  console.log('drop 5');
  console.log('drop 6');
  console.log('drop 7');
  console.log('drop 8');
  console.log('drop 9');
  console.log('drop 10');
  console.log('drop 11');
  console.log('drop 12');
  console.log('drop 13');
  console.log('drop 14');
  console.log('drop 15');
  console.log('drop 16');
  console.log('drop 17');
  console.log('drop 18');
  console.log('drop 19');
  console.log('drop 20');
  console.log('drop 21');
  console.log('drop 22');
  console.log('drop 23');
  console.log('drop 24');
  console.log('drop 25');
  console.log('drop 26');
  console.log('drop 27');
  console.log('drop 28');
  console.log('drop 29');
  console.log('drop 30');
  console.log('drop 31');
  console.log('drop 32');
  console.log('drop 33');
  console.log('drop 34');
  console.log('drop 35');
  console.log('drop 36');
  console.log('drop 37');
  console.log('drop 38');
  console.log('drop 39');
  console.log('drop 40');
  console.log('drop 41');
  console.log('drop 42');
  console.log('drop 43');
  console.log('drop 44');
  console.log('drop 45');
  console.log('drop 46');
  console.log('drop 47');
  console.log('drop 48');
  console.log('drop 49');
  console.log('drop 50');
  console.log('drop 51');
  console.log('drop 52');
  console.log('drop 53');
  console.log('drop 54');
  console.log('drop 55');
  console.log('drop 56');
  console.log('drop 57');
  console.log('drop 58');
  console.log('drop 59');
}; // drop
